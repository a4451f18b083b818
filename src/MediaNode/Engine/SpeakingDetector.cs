namespace OpenChat.MediaNode.Engine;

/// <summary>
/// Decides whether a member is speaking from one audio level per frame, with hysteresis: two thresholds
/// and a minimum run of frames in each direction, so a speaking indicator does not flicker.
/// </summary>
public sealed class SpeakingDetector
{
    private readonly int _onDbov;
    private readonly int _onFrames;
    private readonly int _offDbov;
    private readonly int _offFrames;
    private int _run;

    public SpeakingDetector(int onDbov, int onFrames, int offDbov, int offFrames)
    {
        if (offDbov < onDbov) throw new ArgumentException("the off threshold must not be louder than the on threshold");
        _onDbov = onDbov;
        _onFrames = Math.Max(1, onFrames);
        _offDbov = offDbov;
        _offFrames = Math.Max(1, offFrames);
    }

    public bool IsSpeaking { get; private set; }

    /// <summary>Feeds one frame's level (RFC 6464, null when the member produced no audio); returns true when the state changed.</summary>
    public bool Update(byte? levelDbov)
    {
        if (!IsSpeaking)
        {
            _run = levelDbov is { } on && on <= _onDbov ? _run + 1 : 0;
            if (_run < _onFrames) return false;
            IsSpeaking = true;
            _run = 0;
            return true;
        }

        _run = levelDbov is { } off && off <= _offDbov ? 0 : _run + 1;
        if (_run < _offFrames) return false;
        IsSpeaking = false;
        _run = 0;
        return true;
    }

    /// <summary>Forces the silent state (mute, leave); returns true when the member was speaking.</summary>
    public bool Reset()
    {
        bool was = IsSpeaking;
        IsSpeaking = false;
        _run = 0;
        return was;
    }
}
