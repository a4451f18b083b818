using System.Text.Json;
using System.Text.Json.Serialization;
using Akka.Actor;
using System.Runtime.Serialization;
using Akka.Serialization;
using OpenChat.Protocol.Ids;

namespace OpenChat.Protocol.Serialization;

/// <summary>
/// Serializes every <see cref="IProtocolMessage"/> as compact JSON under a short manifest.
/// JSON keeps stored events readable and lets fields be added without breaking old journals.
/// </summary>
public sealed class ProtocolSerializer : SerializerWithStringManifest
{
    public const int SerializerId = 471;
    public const string Name = "openchat";

    private readonly JsonSerializerOptions _options;

    public ProtocolSerializer(ExtendedActorSystem system) : base(system)
    {
        _options = new JsonSerializerOptions(JsonSerializerDefaults.General)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
            RespectNullableAnnotations = false,
            Converters =
            {
                new ChannelIdConverter(),
                new UserIdConverter(),
                new ActorRefConverter(system),
                new JsonStringEnumConverter(),
            },
        };
    }

    public override int Identifier => SerializerId;

    public override string Manifest(object o) =>
        ProtocolManifests.TryGetManifest(o.GetType(), out var manifest)
            ? manifest
            : throw new SerializationException($"{o.GetType()} has no protocol manifest.");

    public override byte[] ToBinary(object obj) => JsonSerializer.SerializeToUtf8Bytes(obj, obj.GetType(), _options);

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!ProtocolManifests.TryGetType(manifest, out var type))
            throw new SerializationException($"Unknown protocol manifest '{manifest}'.");
        try
        {
            return JsonSerializer.Deserialize(bytes, type, _options)
                   ?? throw new SerializationException($"Empty payload for '{manifest}'.");
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new SerializationException($"Malformed payload for '{manifest}': {e.Message}", e);
        }
    }

    private sealed class ChannelIdConverter : JsonConverter<ChannelId>
    {
        public override ChannelId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            new(reader.GetString() ?? throw new JsonException("channel id is null"));

        public override void Write(Utf8JsonWriter writer, ChannelId value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.Value);
    }

    private sealed class UserIdConverter : JsonConverter<UserId>
    {
        public override UserId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            new(reader.GetString() ?? throw new JsonException("user id is null"));

        public override void Write(Utf8JsonWriter writer, UserId value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.Value);
    }

    private sealed class ActorRefConverter(ExtendedActorSystem system) : JsonConverter<IActorRef>
    {
        public override IActorRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var path = reader.GetString();
            return string.IsNullOrEmpty(path) ? ActorRefs.Nobody : system.Provider.ResolveActorRef(path);
        }

        public override void Write(Utf8JsonWriter writer, IActorRef value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Akka.Serialization.Serialization.SerializedActorPath(value));
    }
}
