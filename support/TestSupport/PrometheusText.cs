using System.Globalization;

namespace OpenChat.TestSupport;

/// <summary>Reads samples from a <c>/metrics</c> page in the Prometheus text format.</summary>
public static class PrometheusText
{
    /// <summary>The first sample of <paramref name="name"/> whose labels include <paramref name="labels"/>, or null.</summary>
    public static double? Value(string text, string name, params (string Label, string Value)[] labels)
    {
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal)) continue;
            var rest = line[name.Length..];
            if (rest.Length > 0 && rest[0] != ' ' && rest[0] != '{') continue;
            if (!labels.All(l => rest.Contains($"{l.Label}=\"{l.Value}\"", StringComparison.Ordinal))) continue;
            return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
        }
        return null;
    }
}
