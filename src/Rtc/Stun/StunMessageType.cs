namespace OpenChat.Rtc.Stun;

/// <summary>STUN message types (method and class combined) that ICE needs.</summary>
public enum StunMessageType : ushort
{
    BindingRequest = 0x0001,
    BindingIndication = 0x0011,
    BindingSuccessResponse = 0x0101,
    BindingErrorResponse = 0x0111,
}
