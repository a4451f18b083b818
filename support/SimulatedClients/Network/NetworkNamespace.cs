using System.Net;
using System.Runtime.InteropServices;

namespace OpenChat.SimulatedClients.Network;

/// <summary>
/// Lets this process own sockets in a named Linux network namespace (one made by <c>ip netns add</c>, under
/// <c>/var/run/netns</c>): a socket belongs to the namespace its creating thread was in, and stays there whichever
/// thread binds, connects or reads it later. Linux only; entering a namespace needs CAP_SYS_ADMIN (root).
/// </summary>
public static class NetworkNamespace
{
    private const int CloneNewNet = 0x40000000;
    private const int ReadOnly = 0;
    private const int CloseOnExec = 0x80000;
    private static readonly object Gate = new();

    /// <summary>
    /// Runs <paramref name="create"/> on the current thread inside the namespace <paramref name="netnsName"/> and
    /// returns the thread to its own namespace afterwards, even when <paramref name="create"/> throws. Sockets
    /// created by <paramref name="create"/> (<c>new Socket(…)</c>, or a constructor that makes one) live in the
    /// namespace. Keep it synchronous and short: calls are serialised.
    /// </summary>
    public static T InNamespace<T>(string netnsName, Func<T> create)
    {
        ArgumentException.ThrowIfNullOrEmpty(netnsName);
        ArgumentNullException.ThrowIfNull(create);
        if (netnsName.Contains('/')) throw new ArgumentException("A namespace name has no '/'.", nameof(netnsName));
        lock (Gate)
        {
            var original = Open("/proc/thread-self/ns/net");
            try
            {
                var target = Open(Path.Combine("/var/run/netns", netnsName));
                try
                {
                    Enter(target, netnsName);
                }
                finally
                {
                    close(target);
                }
                try
                {
                    return create();
                }
                finally
                {
                    // A thread left in the wrong namespace would put later, unrelated sockets of the thread pool there.
                    if (setns(original, CloneNewNet) != 0)
                        Environment.FailFast($"Could not return a thread to its network namespace (errno {Marshal.GetLastPInvokeError()}).");
                }
            }
            finally
            {
                close(original);
            }
        }
    }

    /// <summary>Runs <paramref name="action"/> inside the namespace (see <see cref="InNamespace{T}"/>).</summary>
    public static void InNamespace(string netnsName, Action action) =>
        InNamespace(netnsName, () => { action(); return true; });

    /// <summary>Whether a namespace of that name exists (<c>/var/run/netns/NAME</c>).</summary>
    public static bool Exists(string netnsName) => File.Exists(Path.Combine("/var/run/netns", netnsName));

    /// <summary>
    /// Resolves <paramref name="host"/> as a process run by <c>ip netns exec</c> in the namespace would from its hosts
    /// file: an address literal as itself, else the names in <c>/etc/netns/NAME/hosts</c> (IPv4 first); an empty array
    /// when the file does not name it (the namespace has no DNS to ask).
    /// </summary>
    public static IPAddress[] ResolveFromHostsFile(string netnsName, string host)
    {
        if (IPAddress.TryParse(host, out var literal)) return [literal];
        var path = Path.Combine("/etc/netns", netnsName, "hosts");
        if (!File.Exists(path)) return [];
        var found = new List<IPAddress>();
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Split('#', 2)[0];
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 2 || !IPAddress.TryParse(fields[0], out var address)) continue;
            for (var i = 1; i < fields.Length; i++)
            {
                if (string.Equals(fields[i], host, StringComparison.OrdinalIgnoreCase) ||
                    string.Equals(fields[i], host.TrimEnd('.'), StringComparison.OrdinalIgnoreCase))
                {
                    if (!found.Contains(address)) found.Add(address);
                    break;
                }
            }
        }
        return [.. found.OrderBy(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 0 : 1)];
    }

    private static int Open(string path)
    {
        var fd = open(path, ReadOnly | CloseOnExec);
        if (fd < 0) throw new IOException($"Cannot open {path} (errno {Marshal.GetLastPInvokeError()}).");
        return fd;
    }

    private static void Enter(int fd, string name)
    {
        if (setns(fd, CloneNewNet) != 0)
            throw new IOException($"Cannot enter network namespace {name} (errno {Marshal.GetLastPInvokeError()}).");
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int setns(int fd, int nstype);

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int close(int fd);
}
