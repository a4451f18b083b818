namespace OpenChat.Rtc.Sdp;

/// <summary>An <c>a=</c> line: a name and an optional value (<c>a=name:value</c> or the flag <c>a=name</c>).</summary>
public sealed record SdpAttribute(string Name, string? Value)
{
    /// <inheritdoc />
    public override string ToString() => Value is null ? $"a={Name}" : $"a={Name}:{Value}";
}
