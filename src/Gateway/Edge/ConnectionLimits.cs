namespace OpenChat.Gateway.Edge;

/// <summary>
/// Counts hub connections per user and per client address on this gateway and refuses those over
/// <see cref="GatewayOptions.MaxConnectionsPerUser"/> or <see cref="GatewayOptions.MaxConnectionsPerAddress"/>.
/// </summary>
public sealed class ConnectionLimits(int perUser, int perAddress)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _addresses = new(StringComparer.Ordinal);

    /// <summary>A counted connection; disposing it (once or more) gives the place back.</summary>
    public sealed class Lease : IDisposable
    {
        private ConnectionLimits? _owner;
        private readonly string _user;
        private readonly string _address;

        internal Lease(ConnectionLimits owner, string user, string address)
        {
            _owner = owner;
            _user = user;
            _address = address;
        }

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release(_user, _address);
    }

    /// <summary>Counts a connection, or says why it is refused.</summary>
    public Lease? TryOpen(string user, string address, out string reason)
    {
        lock (_lock)
        {
            var users = _users.GetValueOrDefault(user);
            if (users >= perUser)
            {
                reason = $"This user already has {perUser} connections open, the most allowed; close one first.";
                return null;
            }
            var addresses = _addresses.GetValueOrDefault(address);
            if (addresses >= perAddress)
            {
                reason = $"This address already has {perAddress} connections open, the most allowed.";
                return null;
            }
            _users[user] = users + 1;
            _addresses[address] = addresses + 1;
        }
        reason = "";
        return new Lease(this, user, address);
    }

    /// <summary>Open connections of a user (for tests and metrics).</summary>
    public int OfUser(string user)
    {
        lock (_lock) return _users.GetValueOrDefault(user);
    }

    /// <summary>Open connections from an address key (for tests and metrics).</summary>
    public int OfAddress(string address)
    {
        lock (_lock) return _addresses.GetValueOrDefault(address);
    }

    private void Release(string user, string address)
    {
        lock (_lock)
        {
            Decrement(_users, user);
            Decrement(_addresses, address);
        }
    }

    private static void Decrement(Dictionary<string, int> counts, string key)
    {
        if (!counts.TryGetValue(key, out var n)) return;
        if (n <= 1) counts.Remove(key);
        else counts[key] = n - 1;
    }
}
