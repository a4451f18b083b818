namespace OpenChat.Protocol.Commands;

/// <summary>The answer to any command or query that was refused; nothing changed.</summary>
public sealed record CommandRejected(ErrorCode Code, string Reason) : IProtocolMessage;
