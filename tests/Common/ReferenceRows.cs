using System.Text.Json;

namespace DuckEmbed.Tests;

/// <summary>One row of shared/reference/reference.jsonl: HF tokenizer ids and the sentence-transformers embedding.</summary>
internal sealed record ReferenceRow(int Id, string Text, int[] Tokens, float[] Embedding)
{
    private static readonly Lazy<IReadOnlyList<ReferenceRow>> Rows = new(Load);

    public static IReadOnlyList<ReferenceRow> All => Rows.Value;

    public override string ToString() => $"row {Id}";

    private static List<ReferenceRow> Load()
    {
        var options = new JsonSerializerOptions { PropertyNameCaseInsensitive = true };
        return System.IO.File.ReadLines(TestPaths.ReferenceFile)
            .Where(line => line.Length > 0)
            .Select(line => JsonSerializer.Deserialize<ReferenceRow>(line, options)!)
            .ToList();
    }
}

internal static class VectorMath
{
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }

    public static double Norm(ReadOnlySpan<float> a)
    {
        double sum = 0;
        foreach (var x in a)
        {
            sum += (double)x * x;
        }
        return Math.Sqrt(sum);
    }
}
