using OpenChat.Server;

var app = OpenChatServer.Build(args);
await app.RunAsync();
