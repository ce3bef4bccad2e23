using DuckEmbed.Onnx.Tokenization;
using DuckEmbed.Tests;
using Xunit.Abstractions;

namespace DuckEmbed.Onnx.Tests;

/// <summary>
/// Every row of shared/reference/reference.jsonl (Hugging Face tokenizers + ONNX Runtime): token ids equal and
/// cosine ≥ 0.9999.
/// </summary>
public sealed class ReferenceParityTests(BundledModelFixture model, ITestOutputHelper output) : IClassFixture<BundledModelFixture>
{
    [Fact]
    public void Token_ids_equal_hugging_face_on_every_reference_row()
    {
        var mismatches = new List<string>();
        foreach (var row in ReferenceRow.All)
        {
            var ours = model.Tokenizer.Encode(row.Text).Ids.ToArray();
            if (!ours.SequenceEqual(row.Tokens))
            {
                var at = ours.Zip(row.Tokens).TakeWhile(p => p.First == p.Second).Count();
                mismatches.Add($"{row}: first difference at token {at} (ours {Describe(ours, at)}, HF {Describe(row.Tokens, at)})");
            }
        }
        output.WriteLine($"token ids equal on {ReferenceRow.All.Count - mismatches.Count} of {ReferenceRow.All.Count} rows");
        Assert.Equal(400, ReferenceRow.All.Count);
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    [Fact]
    public async Task Embeddings_match_the_reference_on_every_row_with_cosine_at_least_0_9999()
    {
        var rows = ReferenceRow.All;
        var embeddings = await model.Generator.GenerateAsync(rows.Select(r => r.Text));
        var lowest = double.MaxValue;
        var worst = rows[0];
        for (var i = 0; i < rows.Count; i++)
        {
            var cosine = VectorMath.Cosine(embeddings[i].Vector.Span, rows[i].Embedding);
            if (cosine < lowest)
            {
                (lowest, worst) = (cosine, rows[i]);
            }
            Assert.Equal(1.0, VectorMath.Norm(embeddings[i].Vector.Span), 5);
        }
        output.WriteLine($"lowest cosine {lowest:F7} at {worst}");
        Assert.True(lowest >= 0.9999, $"lowest cosine {lowest:F7} at {worst}");
    }

    private static string Describe(int[] ids, int at) =>
        at < ids.Length ? $"{ids[at]} of {ids.Length}" : $"end of {ids.Length}";
}

/// <summary>The bundled all-MiniLM-L6-v2, loaded once for a test class.</summary>
public sealed class BundledModelFixture : IDisposable
{
    public BundledModelFixture()
    {
        Generator = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), new SentenceEmbeddingOptions { MaxBatchSize = 16 });
        Tokenizer = new BertTokenizer(ModelSource.Bundled().ReadVocabulary(), 256);
    }

    public SentenceEmbeddingGenerator Generator { get; }

    internal BertTokenizer Tokenizer { get; }

    public void Dispose() => Generator.Dispose();
}
