using OpenChat.Server;

if (args.Length > 0 && args[0] == ClusterCertCommand.Name)
    return ClusterCertCommand.Run(args[1..], Console.Out, Console.Error);
if (args.Length > 0 && args[0] == BackupCommand.Name)
    return BackupCommand.Run(args[1..], Console.Out, Console.Error);
if (args.Length > 0 && args[0] == RestoreCommand.Name)
    return RestoreCommand.Run(args[1..], Console.Out, Console.Error);

WebApplication app;
try
{
    app = OpenChatServer.Build(args);
}
catch (ArgumentException e)
{
    // Every configuration check throws ArgumentException with a message naming the setting; a stack trace adds nothing.
    Console.Error.WriteLine($"OpenChat cannot start: {e.Message}");
    return 1;
}
await app.RunAsync();
return 0;
