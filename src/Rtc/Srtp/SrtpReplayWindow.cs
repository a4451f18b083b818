namespace OpenChat.Rtc.Srtp;

/// <summary>A 64-packet sliding replay window over packet indices (RFC 3711 section 3.3.2).</summary>
internal struct SrtpReplayWindow
{
    public const int Size = 64;

    private ulong _bits;

    /// <summary>Highest index accepted so far (valid once <see cref="Initialized"/>).</summary>
    public ulong Highest;

    public bool Initialized;

    /// <summary>True if <paramref name="index"/> is neither a replay nor too old; changes nothing.</summary>
    public readonly bool Check(ulong index)
    {
        if (!Initialized || index > Highest)
        {
            return true;
        }
        ulong behind = Highest - index;
        if (behind >= Size)
        {
            return false;
        }
        return (_bits & (1UL << (int)behind)) == 0;
    }

    /// <summary>Records an authenticated <paramref name="index"/>.</summary>
    public void Accept(ulong index)
    {
        if (!Initialized)
        {
            Initialized = true;
            Highest = index;
            _bits = 1;
            return;
        }
        if (index > Highest)
        {
            ulong ahead = index - Highest;
            _bits = ahead >= Size ? 1 : (_bits << (int)ahead) | 1;
            Highest = index;
        }
        else
        {
            _bits |= 1UL << (int)(Highest - index);
        }
    }
}
