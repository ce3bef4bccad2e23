using System.Globalization;
using System.Text.RegularExpressions;

namespace DuckEmbed.Processor.Database;

/// <summary>A size as the settings write it (<c>256MB</c>, <c>8 GiB</c>), in DuckDB's units: KB, MB, GB and TB are 1024-based, as DuckDB reads them.</summary>
internal static partial class ByteSize
{
    /// <summary>The bytes <paramref name="text"/> says; <c>null</c> when it is not a size.</summary>
    public static double? Parse(string text)
    {
        var match = Pattern().Match(text);
        if (!match.Success)
        {
            return null;
        }
        var shift = char.ToUpperInvariant(match.Groups[2].Value[0]) switch { 'K' => 10, 'M' => 20, 'G' => 30, _ => 40 };
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) * Math.Pow(2, shift);
    }

    [GeneratedRegex(@"^\s*(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
