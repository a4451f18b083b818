namespace OpenChat.TestSupport;

/// <summary>Waiting for a condition that some other process or thread makes true.</summary>
public static class Probe
{
    /// <summary>Checks <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition()) return;
            }
            catch (Exception e)
            {
                last = e;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}.", last);
    }

    /// <summary>
    /// A TCP port that was free a moment ago (for remoting seeds and listeners whose port must be known before start).
    /// </summary>
    /// <remarks>
    /// Chosen at random below the kernel's ephemeral range (<c>/proc/sys/net/ipv4/ip_local_port_range</c>), so no
    /// outgoing connection and no port-0 listener of another test can take it between this check and the bind; ports
    /// handed out once are not handed out again by this process.
    /// </remarks>
    public static int FreeTcpPort()
    {
        for (var attempt = 0; ; attempt++)
        {
            var port = Random.Shared.Next(FixedPortsFrom, EphemeralPortsFrom);
            lock (HandedOut)
            {
                if (!HandedOut.Add(port)) continue;
            }
            try
            {
                var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (System.Net.Sockets.SocketException) when (attempt < 1000)
            {
            }
        }
    }

    private const int FixedPortsFrom = 10_000;
    private static readonly HashSet<int> HandedOut = [];
    private static readonly int EphemeralPortsFrom = ReadEphemeralPortsFrom();

    private static int ReadEphemeralPortsFrom()
    {
        try
        {
            var first = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0];
            return Math.Max(int.Parse(first), FixedPortsFrom + 1000);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 32_768;
        }
    }

    public static string NewTempDirectory(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), "openchat-tests", prefix + "-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
