using Akka.Cluster.Sharding;
using Akka.Actor;
using Akka.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenChat.Protocol.Cluster;
using OpenChat.Hosting;
using OpenChat.Protocol.Ids;
using OpenChat.Protocol;
using OpenChat.Protocol.Commands;
using OpenChat.Protocol.Queries;
using OpenChat.Protocol.Media;
using OpenChat.Protocol.Voice;
using Akka.DistributedData;
using Microsoft.Extensions.Logging;
using OpenChat.Gateway.Audit;
using OpenChat.Gateway.Auth;
using OpenChat.Gateway.Edge;
using OpenChat.Gateway.Hub;
using OpenChat.Gateway.Sessions;

namespace OpenChat.Gateway;

/// <summary>
/// Server administration over HTTP: create, change and delete channels; see where voice rooms run and the media nodes' load. Disabled unless an admin key is
/// configured (<c>OpenChat:Auth:AdminKey</c>); callers present it as a bearer token.
/// </summary>
public static class AdminEndpoints
{
    /// <summary>Every admin request, allowed or refused, is logged under this category.</summary>
    public const string LogCategory = "OpenChat.Gateway.Admin";

    public sealed record CreateChannelRequest(string? Name, string? Kind, string? Topic);

    /// <summary>A channel change; absent fields stay as they are, an empty <c>Category</c> clears it.</summary>
    public sealed record UpdateChannelRequest(string? Name, string? Topic, int? Position, string? Category = null);

    /// <summary>Every channel's id, in the new order.</summary>
    public sealed record ChannelOrderRequest(string[]? Channels);

    /// <summary>A voice channel as operators see it: where its mixer runs and who is in it.</summary>
    public sealed record VoiceRoomDto(string ChannelId, string? Node, AdminVoiceMemberDto[] Members);

    /// <summary>
    /// A voice member as operators see it: with <c>Path</c>, how its media reaches the media node (<c>udp</c>, <c>tcp</c>
    /// for ICE-TCP, <c>relay</c> through TURN; null until its media connected).
    /// </summary>
    public sealed record AdminVoiceMemberDto(string UserId, string DisplayName, bool Muted, bool Deafened, bool Speaking, string? Path)
    {
        public static AdminVoiceMemberDto From(VoiceMember m, IReadOnlyList<MemberMediaPath>? paths) =>
            new(m.User.Value, m.DisplayName, m.Muted, m.Deafened, m.Speaking,
                paths?.FirstOrDefault(p => p.User == m.User)?.Path.ToString().ToLowerInvariant());
    }

    /// <summary>A media node's last load report.</summary>
    public sealed record MediaNodeDto(string Node, int Rooms, int Members, int MaxMembers, double MixCpuPercent, double TickP99Ms,
        long LateTicks, bool Draining, DateTimeOffset ReportedAt, double InboundLossPercent);

    /// <summary>A cluster member as this gateway sees it; <c>UpSince</c> is when this gateway saw it become Up.</summary>
    public sealed record ClusterMemberDto(string Address, string[] Roles, string Status, bool Reachable, DateTimeOffset? UpSince);

    /// <summary>The channel shards a channels node hosts, and the channel entities running in them.</summary>
    public sealed record ShardAllocationDto(string Node, int Shards, int Entities);

    /// <summary>
    /// The cluster: its members, the leader, the channel shards per channels node (<c>ShardsComplete</c> is false when
    /// a node did not answer in time and its figures are missing), each media node's load, and each voice room with the
    /// node its mixer runs on (<c>VoiceComplete</c> is false when a voice channel did not answer in time).
    /// </summary>
    public sealed record ClusterDto(string Self, string? Leader, ClusterMemberDto[] Members, ShardAllocationDto[] Shards, bool ShardsComplete,
        MediaNodeDto[] MediaNodes, VoiceRoomDto[] VoiceRooms, bool VoiceComplete);

    public static void MapAdminEndpoints(this WebApplication app)
    {
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(LogCategory);
        var admin = app.MapGroup("/api/admin").AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var guard = http.RequestServices.GetRequiredService<AdminGuard>();
            var address = ClientAddress.Key(http);
            if (!guard.Enabled) return Problem(StatusCodes.Status404NotFound, "disabled", "The admin API is disabled on this server.");
            if (guard.IsThrottled(address, out var wait))
            {
                var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                log.LogWarning("Admin {Method} {Path} from {Address} refused: too many wrong keys", http.Request.Method, http.Request.Path, address);
                return Problem(StatusCodes.Status429TooManyRequests, "rate_limited", $"Too many wrong admin keys from this address; try again in {seconds} s.");
            }
            var header = http.Request.Headers.Authorization.ToString();
            var given = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : "";
            if (!guard.Check(given, address))
            {
                log.LogWarning("Admin {Method} {Path} from {Address} refused: wrong admin key", http.Request.Method, http.Request.Path, address);
                return Problem(StatusCodes.Status401Unauthorized, "forbidden", "A valid admin key is required.");
            }
            var result = await next(context);
            log.LogInformation("Admin {Method} {Path} from {Address}: {Status}", http.Request.Method, http.Request.Path, address,
                (result as IStatusCodeHttpResult)?.StatusCode ?? http.Response.StatusCode);
            return result;
        });

        admin.MapPost("/accounts/{userId}/reset-link", AccountEndpoints.IssueResetLink);
        admin.MapPost("/channels", (CreateChannelRequest? request, IRequiredActor<ChannelDirectory> directory, IOptions<GatewayOptions> options, ChannelCatalog catalog,
            AuditTrail audit) => CreateChannel(request, directory, options, catalog, audit, Access.AdminKey(catalog)));
        admin.MapPatch("/channels/{id}", async (string id, UpdateChannelRequest? request, IRequiredActor<ChannelDirectory> directory, IOptions<GatewayOptions> options,
            ChannelCatalog catalog, AuditTrail audit) =>
        {
            if (!ChannelId.TryParse(id, out var channel)) return Problem(StatusCodes.Status404NotFound, "unknown_channel", "No such channel.");
            return await UpdateChannel(Access.AdminKey(catalog), channel, request, directory, options.Value, catalog, audit);
        });
        admin.MapPut("/channels/order", (ChannelOrderRequest? request, IRequiredActor<ChannelDirectory> directory, IOptions<GatewayOptions> options,
            ChannelCatalog catalog, AuditTrail audit) => ReorderChannels(Access.AdminKey(catalog), request, directory, options.Value, catalog, audit));
        admin.MapGet("/voice", (GatewayRuntime runtime) => VoiceRooms(runtime));
        admin.MapGet("/media", async (ActorSystem system) => Results.Json(await MediaNodes(system)));
        admin.MapGet("/cluster", (ActorSystem system, GatewayRuntime runtime) => ClusterView(system, runtime));
        admin.MapDelete("/channels/{id}", async (string id, IRequiredActor<ChannelDirectory> directory, IOptions<GatewayOptions> options, ChannelCatalog catalog,
            AuditTrail audit) =>
        {
            if (!ChannelId.TryParse(id, out var channel)) return Problem(StatusCodes.Status404NotFound, "unknown_channel", "No such channel.");
            var name = catalog.Find(channel)?.Name;
            return await Send(directory, new DeleteChannel(channel), options.Value, StatusCodes.Status204NoContent, catalog,
                _ => audit.Record(Access.AdminKey(catalog), "channel.delete", AuditTarget.Channel(channel, name)));
        });
    }

    /// <summary>Creates a channel (for the admin key, and for members with manage channels).</summary>
    internal static async Task<IResult> CreateChannel(CreateChannelRequest? request, IRequiredActor<ChannelDirectory> directory, IOptions<GatewayOptions> options,
        ChannelCatalog catalog, AuditTrail audit, Access caller)
    {
        if (request is null) return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "A JSON body is required.");
        ChannelKind kind;
        switch (request.Kind?.ToLowerInvariant())
        {
            case "text" or null: kind = ChannelKind.Text; break;
            case "voice": kind = ChannelKind.Voice; break;
            default: return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "kind is text or voice.");
        }
        return await Send(directory, new CreateChannel(request.Name ?? "", kind, request.Topic ?? ""), options.Value, StatusCodes.Status201Created, catalog,
            info => audit.Record(caller, "channel.create", AuditTarget.Channel(info!.Id, info.Name), detail: kind == ChannelKind.Voice ? "voice channel" : "text channel"));
    }

    /// <summary>Changes a channel's name, topic, position or category, and records it in the audit log.</summary>
    internal static async Task<IResult> UpdateChannel(Access caller, ChannelId channel, UpdateChannelRequest? request, IRequiredActor<ChannelDirectory> directory,
        GatewayOptions options, ChannelCatalog catalog, AuditTrail audit)
    {
        if (request is null) return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "A JSON body is required.");
        var before = catalog.Find(channel);
        var result = await Send(directory, new Protocol.Commands.UpdateChannel(channel, request.Name, request.Topic, request.Position, request.Category),
            options, StatusCodes.Status200OK, catalog);
        if (Succeeded(result) && catalog.Find(channel) is { } after)
            audit.Record(caller, "channel.update", AuditTarget.Channel(channel, after.Name), detail: DescribeChange(before, after));
        return result;
    }

    /// <summary>Puts every channel in a new order (positions 0..n-1), and records it in the audit log.</summary>
    internal static async Task<IResult> ReorderChannels(Access caller, ChannelOrderRequest? request, IRequiredActor<ChannelDirectory> directory,
        GatewayOptions options, ChannelCatalog catalog, AuditTrail audit)
    {
        if (request?.Channels is not { } given)
            return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "A JSON body with channels, every channel's id in the new order, is required.");
        // The directory holds at most a few hundred channels: a longer list cannot be right.
        if (given.Length > catalog.Channels.Count)
            return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "The order lists every channel exactly once.");
        var ids = new ChannelId[given.Length];
        for (var i = 0; i < given.Length; i++)
        {
            if (!ChannelId.TryParse(given[i], out ids[i]))
                return Problem(StatusCodes.Status400BadRequest, "invalid_argument", "The order lists every channel exactly once.");
        }
        var result = await Send(directory, new Protocol.Commands.ReorderChannels(ids), options, StatusCodes.Status204NoContent, catalog);
        if (Succeeded(result)) audit.Record(caller, "channel.reorder", AuditTarget.Server, detail: $"{ids.Length} channels");
        return result;
    }

    private static bool Succeeded(IResult result) => result is IStatusCodeHttpResult { StatusCode: >= 200 and < 300 };

    /// <summary>What a channel change did, for the audit log ("renamed to lobby; category Games").</summary>
    private static string? DescribeChange(ChannelInfo? before, ChannelInfo after)
    {
        if (before is null) return null;
        var parts = new List<string>();
        if (before.Name != after.Name) parts.Add($"renamed to {after.Name}");
        if (before.Topic != after.Topic) parts.Add(after.Topic.Length == 0 ? "topic cleared" : $"topic: {after.Topic}");
        if (before.Position != after.Position) parts.Add($"moved to position {after.Position}");
        if (before.Category != after.Category) parts.Add(after.Category is null ? "category cleared" : $"category {after.Category}");
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    private static async Task<IResult> VoiceRooms(GatewayRuntime runtime)
    {
        if (!runtime.Catalog.IsLoaded) return Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", "The channel list has not been loaded yet.");
        return await VoiceRoomList(runtime) is { } rooms
            ? Results.Json(rooms)
            : Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", "A voice channel did not answer in time.");
    }

    /// <summary>Every voice channel's room: where its mixer runs and who is in it; null when a channel did not answer in time.</summary>
    private static async Task<VoiceRoomDto[]?> VoiceRoomList(GatewayRuntime runtime)
    {
        var voiceChannels = runtime.Catalog.Channels.Where(c => c.Kind == ChannelKind.Voice).ToList();
        try
        {
            var replies = await Task.WhenAll(voiceChannels.Select(c =>
                runtime.Region.Ask<object>(new GetVoiceStatus(c.Id), runtime.Options.ClusterTimeout)));
            // A channel deleted since the catalog was read answers with a refusal: it has no room to list.
            return replies.OfType<VoiceStatus>().Select(s => new VoiceRoomDto(s.Channel.Value, s.Node, s.Members.Select(m => AdminVoiceMemberDto.From(m, s.Paths)).ToArray())).ToArray();
        }
        catch (AskTimeoutException)
        {
            return null;
        }
    }

    private static async Task<MediaNodeDto[]> MediaNodes(ActorSystem system)
    {
        var replicator = DistributedData.Get(system).Replicator;
        var response = await replicator.Ask<IGetResponse>(Dsl.Get(MediaLoad.Key, ReadLocal.Instance), TimeSpan.FromSeconds(5));
        var loads = response.IsSuccessful ? response.Get(MediaLoad.Key).Entries.Values : [];
        return loads.OrderBy(l => l.Node, StringComparer.Ordinal)
            .Select(l => new MediaNodeDto(l.Node, l.Rooms, l.Members, l.MaxMembers, l.MixCpuPercent, l.TickP99Ms, l.LateTicks, l.Draining, l.ReportedAt,
                Math.Round(l.InboundLossPercent, 2)))
            .ToArray();
    }

    /// <summary>The cluster as the admin key and members with manage server see it (<see cref="ClusterDto"/>).</summary>
    internal static async Task<IResult> ClusterView(ActorSystem system, GatewayRuntime runtime)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var state = cluster.State;
        var observer = ClusterObserver.For(system);
        // Unreachable to the failure detector, or its connection to this node closed (a killed process: seconds sooner).
        bool Reachable(Akka.Cluster.Member m) => !state.Unreachable.Contains(m) && observer?.ConnectionClosed(m.Address) != true;
        var members = state.Members
            .Select(m => new ClusterMemberDto(m.Address.ToString(), m.Roles.Where(OpenChatRoles.All.Contains).Order(StringComparer.Ordinal).ToArray(),
                ClusterObserver.StatusLabel(m.Status), Reachable(m), observer?.UpSince(m.Address)))
            .ToArray();

        // Every channels node's region answers with its shards and their entity counts; one that does not answer in
        // time is listed under Failed and its figures are left out.
        ShardAllocationDto[] shards = [];
        var complete = false;
        try
        {
            var timeout = runtime.Options.ClusterTimeout;
            var stats = await runtime.Region.Ask<ClusterShardingStats>(new GetClusterShardingStats(timeout), timeout + TimeSpan.FromSeconds(1));
            shards = stats.Regions
                .Select(r => new ShardAllocationDto(r.Key.ToString(), r.Value.Stats.Count, r.Value.Stats.Values.Sum()))
                .OrderBy(s => s.Node, StringComparer.Ordinal)
                .ToArray();
            complete = stats.Regions.Values.All(r => r.Failed.Count == 0);
        }
        catch (AskTimeoutException)
        {
        }
        var media = MediaNodes(system);
        var rooms = runtime.Catalog.IsLoaded ? await VoiceRoomList(runtime) : null;
        return Results.Json(new ClusterDto(cluster.SelfAddress.ToString(), state.Leader?.ToString(), members, shards, complete, await media,
            rooms ?? [], rooms is not null));
    }

    /// <summary>
    /// Sends a change to the directory and answers with its result, once this gateway's catalog holds the change (so the
    /// caller's next request, here, sees it).
    /// </summary>
    internal static async Task<IResult> Send(IRequiredActor<ChannelDirectory> directory, object command, GatewayOptions options, int successStatus,
        ChannelCatalog? catalog = null, Action<ChannelInfo?>? done = null)
    {
        object reply;
        try
        {
            reply = await directory.ActorRef.Ask<object>(command, options.ClusterTimeout);
        }
        catch (AskTimeoutException)
        {
            return Problem(StatusCodes.Status503ServiceUnavailable, "unavailable", "The channel directory did not answer in time.");
        }
        if (reply is ChannelInfoResult { Revision: > 0 } changed && catalog is not null) await catalog.CaughtUpAsync(changed.Revision, options.ClusterTimeout);
        if (reply is ChannelInfoResult result) done?.Invoke(result.Info);
        if (reply is ChannelsReordered reordered && catalog is not null) await catalog.CaughtUpAsync(reordered.Revision, options.ClusterTimeout);
        return reply switch
        {
            ChannelsReordered => Results.NoContent(),
            ChannelInfoResult { Info: { } info } => Results.Json(ChannelDto.From(info), statusCode: successStatus),
            ChannelInfoResult => Results.NoContent(),
            CommandRejected { Code: ErrorCode.UnknownChannel } r => Problem(StatusCodes.Status404NotFound, r.Code.WireName(), r.Reason),
            CommandRejected { Code: ErrorCode.NameTaken } r => Problem(StatusCodes.Status409Conflict, r.Code.WireName(), r.Reason),
            CommandRejected r => Problem(StatusCodes.Status400BadRequest, r.Code.WireName(), r.Reason),
            _ => Problem(StatusCodes.Status500InternalServerError, "internal", "Unexpected reply."),
        };
    }

    private static IResult Problem(int status, string code, string detail) => GatewayEndpoints.Problem(status, code, detail);
}
