using System.Runtime.InteropServices;

namespace OpenChat.Protocol.Text;

/// <summary>
/// Unicode NFKC normalisation through the system's ICU (<c>libicuuc</c>). The processes run with invariant
/// globalization, where <see cref="string.Normalize()"/> leaves text unchanged, so ICU is called directly. Without
/// ICU on the machine only full-width forms are folded (<see cref="IsAvailable"/> tells which).
/// </summary>
public static unsafe class UnicodeNormalizer
{
    // const UNormalizer2* unorm2_getNFKCInstance(UErrorCode*), unorm2_getNFKCCasefoldInstance(UErrorCode*)
    // int32_t unorm2_normalize(const UNormalizer2*, const UChar* src, int32_t length, UChar* dest, int32_t capacity, UErrorCode*)
    private static readonly delegate* unmanaged[Cdecl]<IntPtr, char*, int, char*, int, int*, int> Normalize;
    private static readonly IntPtr Nfkc;
    private static readonly IntPtr NfkcCasefold;

    static UnicodeNormalizer()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        foreach (var (library, suffix) in Candidates())
        {
            if (!NativeLibrary.TryLoad(library, out var handle)) continue;
            if (!NativeLibrary.TryGetExport(handle, "unorm2_normalize" + suffix, out var normalize)
                || !NativeLibrary.TryGetExport(handle, "unorm2_getNFKCInstance" + suffix, out var getNfkc)
                || !NativeLibrary.TryGetExport(handle, "unorm2_getNFKCCasefoldInstance" + suffix, out var getCasefold))
                continue;
            int error = 0;
            var nfkc = ((delegate* unmanaged[Cdecl]<int*, IntPtr>)getNfkc)(&error);
            if (error > 0 || nfkc == IntPtr.Zero) continue;
            var casefold = ((delegate* unmanaged[Cdecl]<int*, IntPtr>)getCasefold)(&error);
            if (error > 0 || casefold == IntPtr.Zero) continue;
            Normalize = (delegate* unmanaged[Cdecl]<IntPtr, char*, int, char*, int, int*, int>)normalize;
            Nfkc = nfkc;
            NfkcCasefold = casefold;
            return;
        }
    }

    /// <summary>Whether ICU was found; otherwise only the fallback folding applies.</summary>
    public static bool IsAvailable => Normalize != null;

    /// <summary>The NFKC form of <paramref name="text"/>: compatibility characters (full-width letters, ligatures, superscripts) become their plain forms.</summary>
    public static string ToNfkc(string text) => IsAvailable ? Run(Nfkc, text) : FoldFullWidth(text);

    /// <summary>NFKC with case folding and default-ignorable characters removed: equal for strings that read the same.</summary>
    public static string ToNfkcCasefold(string text) =>
        IsAvailable ? Run(NfkcCasefold, text) : FoldFullWidth(text).ToLowerInvariant();

    private static string Run(IntPtr normalizer, string text)
    {
        if (text.Length == 0) return text;
        // NFKC may expand a character up to 18-fold; start small and grow on U_BUFFER_OVERFLOW_ERROR (15).
        var capacity = text.Length * 3 + 16;
        while (true)
        {
            var buffer = new char[capacity];
            int error = 0;
            int length;
            fixed (char* src = text)
            fixed (char* dest = buffer)
                length = Normalize(normalizer, src, text.Length, dest, capacity, &error);
            if (error == 15 && length > capacity)
            {
                capacity = length;
                continue;
            }
            // A name is checked before it is normalised; should ICU still refuse it, the fallback folding applies
            // rather than an exception in the caller (a channel actor, a request).
            if (error > 0) return FoldFullWidth(text);
            return new string(buffer, 0, length);
        }
    }

    private static string FoldFullWidth(string text) =>
        string.Create(text.Length, text, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                span[i] = c switch
                {
                    >= '\uFF01' and <= '\uFF5E' => (char)(c - 0xFEE0),
                    '\u3000' => ' ',
                    _ => c,
                };
            }
        });

    private static IEnumerable<(string Library, string Suffix)> Candidates()
    {
        // Distributions ship libicuuc.so.NN with versioned symbols (unorm2_normalize_NN); macOS ships libicucore unversioned.
        for (var version = 90; version >= 50; version--)
            yield return ($"libicuuc.so.{version}", "_" + version);
        for (var version = 90; version >= 50; version--)
            yield return ("libicuuc.so", "_" + version);
        yield return ("libicuuc.so", "");
        yield return ("/usr/lib/libicucore.dylib", "");
    }
}
