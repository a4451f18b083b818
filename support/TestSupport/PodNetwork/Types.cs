namespace OpenChat.TestSupport.PodNetwork;

/// <summary>
/// A port of a Service: connections to the ClusterIP on <paramref name="Port"/> go to an endpoint's
/// <paramref name="TargetPort"/>. <paramref name="Protocol"/> is TCP or UDP (as Kubernetes spells them, any case).
/// </summary>
public sealed record ServicePort(string Protocol, int Port, int TargetPort);

/// <summary>
/// A NetworkPolicy's ingress as it applies to one pod: connections to the <paramref name="Ports"/> (protocol TCP or
/// UDP, port) are admitted only from <paramref name="AllowedSources"/> (addresses or CIDRs, IPv4 or IPv6); other ports
/// are not affected. No allowed sources isolates those ports entirely.
/// </summary>
public sealed record IngressPolicy(IReadOnlyList<(string Protocol, int Port)> Ports, IReadOnlyList<string> AllowedSources);
