using DuckEmbed.Tests;

namespace DuckEmbed.Onnx.Tests;

/// <summary>
/// A second real model, unlike the bundled one where a tool can go wrong: CLS pooling, 512 tokens, a query prompt.
/// Every row of shared/reference/arctic-embed-xs.jsonl: token ids equal to Hugging Face's, cosine ≥ 0.9999.
/// </summary>
public sealed class ArcticParityTests(Xunit.Abstractions.ITestOutputHelper log)
{
    [Fact]
    public void The_folder_says_cls_pooling_512_tokens_and_the_query_prompt()
    {
        var source = ModelSource.FromDirectory(ArcticModel.Folder);
        Assert.Equal(PoolingMode.Cls, source.Settings.Pooling);
        Assert.Equal(512, source.Settings.MaxSequenceLength);
        Assert.Equal("Represent this sentence for searching relevant passages: ", source.Prompts["query"]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("query")]
    public async Task Every_reference_row_has_hugging_faces_token_ids_and_vector(string? prompt)
    {
        var rows = ArcticModel.Reference.Where(r => r.Prompt == prompt).ToList();
        using var generator = SentenceEmbeddingGenerator.Create(ModelSource.FromDirectory(ArcticModel.Folder), new SentenceEmbeddingOptions { Prompt = prompt });

        var embeddings = await generator.GenerateAsync(rows.Select(r => r.Text));

        var promptText = prompt is null ? "" : generator.Settings["prompt_text"];
        var tokenizer = new Tokenization.BertTokenizer(Tokenization.Vocabulary.Load(new StreamReader(Path.Combine(ArcticModel.Folder, "vocab.txt"))), 512);
        var lowest = 1.0;
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(rows[i].Tokens, tokenizer.Encode(promptText + rows[i].Text).Ids.ToArray());
            lowest = Math.Min(lowest, VectorMath.Cosine(embeddings[i].Vector.Span, rows[i].Embedding));
        }
        log.WriteLine($"prompt {prompt ?? "none"}: {rows.Count} rows, token ids equal on all, lowest cosine {lowest:F6}");
        Assert.True(rows.Count >= 30, $"only {rows.Count} rows");
        Assert.True(lowest >= 0.9999, $"lowest cosine {lowest:F6}");
    }
}
