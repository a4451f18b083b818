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
try
{
    await app.RunAsync();
}
catch (IOException e) when (ListenFailure(e))
{
    // Kestrel could not listen on an address it was given (the web or the management port): name it, without a stack.
    Console.Error.WriteLine($"OpenChat cannot start: {e.Message}");
    return 1;
}
return 0;

// Kestrel reports an address it cannot listen on (in use, not on this machine, a privileged port) as an IOException
// around the socket's error.
static bool ListenFailure(Exception e)
{
    for (var inner = e.InnerException; inner is not null; inner = inner.InnerException)
        if (inner is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse or System.Net.Sockets.SocketError.AccessDenied or System.Net.Sockets.SocketError.AddressNotAvailable })
            return true;
    return false;
}
