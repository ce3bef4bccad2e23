using System.Diagnostics;
using System.Text.Json;

namespace DuckEmbed.Tests;

/// <summary>The shared Debian corpus (63,905 package descriptions), read through xz.</summary>
internal static class Corpus
{
    /// <summary>The first <paramref name="count"/> texts, in id order.</summary>
    public static List<(long Id, string Text)> Read(int count)
    {
        using var xz = Process.Start(new ProcessStartInfo("xz", ["-dc", TestPaths.CorpusFile]) { RedirectStandardOutput = true })!;
        var texts = new List<(long, string)>(count);
        while (texts.Count < count && xz.StandardOutput.ReadLine() is { } line)
        {
            using var row = JsonDocument.Parse(line);
            texts.Add((row.RootElement.GetProperty("id").GetInt64(), row.RootElement.GetProperty("text").GetString()!));
        }
        xz.Kill();
        return texts;
    }
}
