using System.Net;
using System.Net.Sockets;
using System.Text;
using OpenChat.SimulatedClients.Network;
using OpenChat.TestSupport.PodNetwork;
using Xunit;

namespace OpenChat.Kubernetes.Tests;

/// <summary>
/// The simulated pod network the deployment tests run the rendered manifests on: pods are network namespaces on a
/// bridge, Services are nftables rules, names come from hosts files, and network policies drop what they must.
/// The test process owns sockets in the pods (<see cref="NetHost.InNamespace{T}"/>) to listen and connect there.
/// </summary>
[Collection(SimulatedNetworks.Name)]
public sealed class PodNetworkTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static int _networks;

    /// <summary>A prefix of its own for each network of this process, so tests can run side by side.</summary>
    private static string NewPrefix() =>
        SimulatedNetwork.PrefixForProcess("okt") + (char)('a' + Interlocked.Increment(ref _networks) % 26);

    [Fact]
    public async Task Pods_reach_each_other_by_the_names_in_their_hosts_files()
    {
        await using var network = await SimulatedNetwork.CreateAsync(NewPrefix());
        var alpha = await network.AddHostAsync("alpha", extraAddresses: 1);
        var beta = await network.AddHostAsync("beta");
        await network.SetHostsAsync(new Dictionary<string, IPAddress> { ["alpha.pods"] = alpha.Address, ["beta.pods"] = beta.Address });

        // A process started in a pod resolves through the pod's hosts file, and only there: there is no DNS to ask.
        var found = await beta.RunAsync("getent", ["hosts", "alpha.pods"]);
        Assert.Equal(0, found.ExitCode);
        Assert.StartsWith(alpha.Address + " ", found.StandardOutput.Trim());
        var own = await beta.RunAsync("getent", ["hosts", "beta"]);
        Assert.StartsWith(beta.Address + " ", own.StandardOutput.Trim());
        Assert.NotEqual(0, (await beta.RunAsync("getent", ["hosts", "example.com"])).ExitCode);

        // An HTTP client of alpha's extra address (placed in alpha for SourceAddress) reaches beta's server by name.
        using var listener = Listen(beta, beta.Address, 8080);
        var served = ServeHttpOnceAsync(listener, "hello from beta");
        using var http = SourceAddress.HttpClient(alpha.ExtraAddresses[0]);
        Assert.Equal("hello from beta", await http.GetStringAsync("http://beta.pods:8080/"));
        Assert.Equal(alpha.ExtraAddresses[0], await served);

        // And a raw socket of alpha's reaches beta's address; beta sees alpha's own address.
        var accepted = AcceptNameAsync(listener);
        using var client = await ConnectAsync(alpha, new IPEndPoint(beta.Address, 8080));
        Assert.Equal(alpha.Address, await accepted);
    }

    [Fact]
    public async Task A_service_round_robins_between_its_ready_endpoints_and_refuses_without_any()
    {
        await using var network = await SimulatedNetwork.CreateAsync(NewPrefix());
        var one = await network.AddHostAsync("web-0");
        var two = await network.AddHostAsync("web-1");
        var client = await network.AddHostAsync("client");
        var service = network.AddService("web");
        using var listenerOne = Listen(one, one.Address, 8080);
        using var listenerTwo = Listen(two, two.Address, 8080);
        using var serverOne = ServeNames(listenerOne, "web-0");
        using var serverTwo = ServeNames(listenerTwo, "web-1");
        var ports = new[] { new ServicePort("TCP", 80, 8080) };

        await network.SetServiceEndpointsAsync("web", ports, [one.Address, two.Address]);
        var answers = new List<string>();
        for (var i = 0; i < 4; i++) answers.Add(await AskNameAsync(client, new IPEndPoint(service, 80)));
        Assert.Equal(2, answers.Count(a => a == "web-0"));
        Assert.Equal(2, answers.Count(a => a == "web-1"));
        for (var i = 1; i < answers.Count; i++) Assert.NotEqual(answers[i - 1], answers[i]);

        // web-1 is no longer ready: new connections all go to web-0.
        await network.SetServiceEndpointsAsync("web", ports, [one.Address]);
        for (var i = 0; i < 4; i++) Assert.Equal("web-0", await AskNameAsync(client, new IPEndPoint(service, 80)));

        // A pod added later has the rules too.
        var late = await network.AddHostAsync("late");
        Assert.Equal("web-0", await AskNameAsync(late, new IPEndPoint(service, 80)));

        // No ready endpoint: refused at once, as is a port the Service does not have.
        await network.SetServiceEndpointsAsync("web", ports, []);
        var refused = await Assert.ThrowsAsync<SocketException>(() => ConnectAsync(client, new IPEndPoint(service, 80)));
        Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);
        await network.SetServiceEndpointsAsync("web", ports, [one.Address]);
        var otherPort = await Assert.ThrowsAsync<SocketException>(() => ConnectAsync(client, new IPEndPoint(service, 81)));
        Assert.Equal(SocketError.ConnectionRefused, otherPort.SocketErrorCode);
    }

    [Fact]
    public async Task A_udp_service_spreads_new_flows_over_its_endpoints()
    {
        await using var network = await SimulatedNetwork.CreateAsync(NewPrefix());
        var one = await network.AddHostAsync("media-0");
        var two = await network.AddHostAsync("media-1");
        var client = await network.AddHostAsync("client");
        var service = network.AddService("media");
        using var socketOne = one.InNamespace(() => UdpBound(one.Address, 5000));
        using var socketTwo = two.InNamespace(() => UdpBound(two.Address, 5000));
        await network.SetServiceEndpointsAsync("media", [new ServicePort("UDP", 50, 5000)], [one.Address, two.Address]);

        // Two flows (two client sockets): one to each endpoint.
        using var first = client.InNamespace(() => UdpBound(client.Address, 0));
        using var second = client.InNamespace(() => UdpBound(client.Address, 0));
        await first.SendToAsync("first"u8.ToArray(), new IPEndPoint(service, 50));
        await second.SendToAsync("second"u8.ToArray(), new IPEndPoint(service, 50));
        var received = new[] { await ReceiveTextAsync(socketOne), await ReceiveTextAsync(socketTwo) };
        Assert.Equal(["first", "second"], received.Order());
    }

    [Fact]
    public async Task An_ingress_policy_admits_the_allowed_source_drops_another_and_leaves_other_ports_open()
    {
        await using var network = await SimulatedNetwork.CreateAsync(NewPrefix());
        var server = await network.AddHostAsync("postgres-0");
        var allowed = await network.AddHostAsync("gateway-0");
        var denied = await network.AddHostAsync("intruder");
        using var guarded = Listen(server, server.Address, 5432);
        using var open = Listen(server, server.Address, 9187);
        using var servedGuarded = ServeNames(guarded, "postgres");
        using var servedOpen = ServeNames(open, "metrics");
        var port = new IPEndPoint(server.Address, 5432);

        await network.SetIngressPolicyAsync(server, new IngressPolicy([("TCP", 5432)], [allowed.Address.ToString()]));
        Assert.Equal("postgres", await AskNameAsync(allowed, port));
        await AssertDroppedAsync(denied, port);
        Assert.Equal("metrics", await AskNameAsync(denied, new IPEndPoint(server.Address, 9187)));

        // Replaced by a policy admitting a CIDR that holds the intruder's address.
        await network.SetIngressPolicyAsync(server, new IngressPolicy([("TCP", 5432)], [$"{denied.Address}/30"]));
        Assert.Equal("postgres", await AskNameAsync(denied, port));

        // No sources isolates the port; clearing the policy opens it again.
        await network.SetIngressPolicyAsync(server, new IngressPolicy([("TCP", 5432)], []));
        await AssertDroppedAsync(allowed, port);
        await network.ClearIngressPolicyAsync(server);
        Assert.Equal("postgres", await AskNameAsync(allowed, port));
    }

    [Fact]
    public async Task Nothing_outside_the_simulated_network_is_reachable_from_a_pod()
    {
        await using var network = await SimulatedNetwork.CreateAsync(NewPrefix());
        var pod = await network.AddHostAsync("pod");

        foreach (var outside in new[] { "192.0.2.1", "8.8.8.8", "10.78.0.1" })
        {
            var error = await Assert.ThrowsAsync<SocketException>(() => ConnectAsync(pod, new IPEndPoint(IPAddress.Parse(outside), 80)));
            Assert.Equal(SocketError.NetworkUnreachable, error.SocketErrorCode);
        }
        var routes = await pod.RunAsync("ip", ["route", "show"]);
        Assert.DoesNotContain("default", routes.StandardOutput);
        Assert.Equal("nameserver 127.0.0.1\n", await File.ReadAllTextAsync($"/etc/netns/{pod.Namespace}/resolv.conf"));
        var resolv = await pod.RunAsync("cat", ["/etc/resolv.conf"]);
        Assert.Equal("nameserver 127.0.0.1\n", resolv.StandardOutput);
    }

    [Fact]
    public async Task Media_sockets_of_a_client_address_are_made_in_its_pod()
    {
        await using var network = await SimulatedNetwork.CreateAsync(NewPrefix());
        var pod = await network.AddHostAsync("member", extraAddresses: 2);
        Assert.Equal(pod.Namespace, SourceAddress.NamespaceOf(pod.ExtraAddresses[1]));

        // The pod's address does not exist in the test's own namespace: binding to it works only in the pod.
        var rtc = SourceAddress.RtcClient(pod.ExtraAddresses[1]);
        using var session = rtc.CreateSession();
        Assert.Equal(pod.ExtraAddresses[1], session.LocalEndPoint.Address);

        await network.RemoveHostAsync(pod);
        Assert.Null(SourceAddress.NamespaceOf(pod.ExtraAddresses[1]));
    }

    [Fact]
    public async Task Disposing_removes_every_namespace_and_file_and_the_machine_namespace_is_untouched()
    {
        var prefix = NewPrefix();
        // What a crashed earlier run with this prefix left behind.
        await RunAsync("ip", "netns", "add", $"{prefix}-stale");
        Directory.CreateDirectory($"/etc/netns/{prefix}-stale");

        var network = await SimulatedNetwork.CreateAsync(prefix);
        Assert.DoesNotContain($"{prefix}-stale", await NamespacesAsync(prefix));
        Assert.False(Directory.Exists($"/etc/netns/{prefix}-stale"));
        var a = await network.AddHostAsync("a");
        var b = await network.AddHostAsync("b", extraAddresses: 1);
        var gone = await network.AddHostAsync("gone");
        network.AddService("svc");
        await network.SetServiceEndpointsAsync("svc", [new ServicePort("TCP", 80, 80)], [a.Address]);
        await network.SetIngressPolicyAsync(b, new IngressPolicy([("TCP", 80)], [a.Address.ToString()]));
        await network.SetHostsAsync(new Dictionary<string, IPAddress> { ["a"] = a.Address });
        Assert.Equal(
            new[] { network.BridgeNamespace, a.Namespace, b.Namespace, gone.Namespace }.Order(),
            (await NamespacesAsync(prefix)).Order());
        Assert.Empty(await TracesInRootNamespaceAsync());

        await network.RemoveHostAsync(gone);
        Assert.DoesNotContain(gone.Namespace, await NamespacesAsync(prefix));
        Assert.False(Directory.Exists($"/etc/netns/{gone.Namespace}"));

        await network.DisposeAsync();
        Assert.Empty(await NamespacesAsync(prefix));
        Assert.Empty(Directory.Exists("/etc/netns") ? Directory.GetDirectories("/etc/netns", prefix + "-*") : []);
        Assert.Null(SourceAddress.NamespaceOf(b.ExtraAddresses[0]));
        Assert.Empty(await TracesInRootNamespaceAsync());
    }

    private static Socket Listen(NetHost host, IPAddress address, int port) => host.InNamespace(() =>
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(address, port));
        socket.Listen(16);
        return socket;
    });

    private static Socket UdpBound(IPAddress address, int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, port));
        return socket;
    }

    private static async Task<string> ReceiveTextAsync(Socket socket)
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[256];
        var n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    /// <summary>A socket of <paramref name="host"/>'s, connected to <paramref name="to"/>.</summary>
    private static async Task<Socket> ConnectAsync(NetHost host, IPEndPoint to, CancellationToken ct = default)
    {
        var socket = host.InNamespace(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(Patience);
            await socket.ConnectAsync(to, timeout.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Connects and reads the name the server sends before it closes.</summary>
    private static async Task<string> AskNameAsync(NetHost host, IPEndPoint to)
    {
        using var socket = await ConnectAsync(host, to);
        using var stream = new NetworkStream(socket);
        using var reader = new StreamReader(stream);
        using var timeout = new CancellationTokenSource(Patience);
        return await reader.ReadToEndAsync(timeout.Token);
    }

    /// <summary>A connect whose SYN the policy drops: no answer, no refusal, while the patience of a short wait lasts.</summary>
    private static async Task AssertDroppedAsync(NetHost host, IPEndPoint to)
    {
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ConnectAsync(host, to, wait.Token));
    }

    /// <summary>Answers every connection with <paramref name="name"/> and closes it, until disposed.</summary>
    private static IDisposable ServeNames(Socket listener, string name)
    {
        var stop = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Socket connection;
                try
                {
                    connection = await listener.AcceptAsync(stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
                {
                    return;
                }
                using (connection)
                {
                    await connection.SendAsync(Encoding.UTF8.GetBytes(name), SocketFlags.None);
                    connection.Shutdown(SocketShutdown.Both);
                }
            }
        });
        return new Stopping(stop);
    }

    private sealed class Stopping(CancellationTokenSource stop) : IDisposable
    {
        public void Dispose() => stop.Cancel();
    }

    /// <summary>Accepts one connection and returns where it came from.</summary>
    private static async Task<IPAddress> AcceptNameAsync(Socket listener)
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var connection = await listener.AcceptAsync(timeout.Token);
        return ((IPEndPoint)connection.RemoteEndPoint!).Address;
    }

    /// <summary>Answers one HTTP request with <paramref name="body"/>; returns the client's address.</summary>
    private static async Task<IPAddress> ServeHttpOnceAsync(Socket listener, string body)
    {
        using var timeout = new CancellationTokenSource(Patience);
        using var connection = await listener.AcceptAsync(timeout.Token);
        using var stream = new NetworkStream(connection);
        var request = new StringBuilder();
        var buffer = new byte[1024];
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer, timeout.Token);
            if (n == 0) break;
            request.Append(Encoding.ASCII.GetString(buffer, 0, n));
        }
        Assert.StartsWith("GET / HTTP/1.1", request.ToString());
        var content = Encoding.UTF8.GetBytes(body);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {content.Length}\r\nConnection: close\r\n\r\n"), timeout.Token);
        await stream.WriteAsync(content, timeout.Token);
        return ((IPEndPoint)connection.RemoteEndPoint!).Address;
    }

    private static async Task<string> RunAsync(string file, params string[] args)
    {
        var info = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = System.Diagnostics.Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
        return output;
    }

    private static async Task<List<string>> NamespacesAsync(string prefix) =>
        (await RunAsync("ip", "netns", "list")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ')[0])
            .Where(name => name.StartsWith(prefix + "-", StringComparison.Ordinal))
            .ToList();

    /// <summary>
    /// What of the network could show in the machine's own namespace: addresses or routes of the pod subnet or the
    /// service CIDR, a bridge, the nftables tables. Empty when the network keeps to its namespaces.
    /// </summary>
    private static async Task<List<string>> TracesInRootNamespaceAsync()
    {
        var lines = new List<string>();
        foreach (var args in new[] { new[] { "-br", "link" }, ["-br", "addr"], ["route", "show", "table", "all"], ["rule"] })
            lines.AddRange((await RunAsync("ip", args)).Split('\n').Where(l => l.Contains("10.77.") || l.Contains("10.96.") || l.StartsWith("br0", StringComparison.Ordinal)));
        lines.AddRange((await RunAsync("nft", "list", "tables")).Split('\n').Where(l => l.Contains("kube_proxy") || l.Contains("network_policy")));
        return lines;
    }
}
