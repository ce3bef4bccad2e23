using DuckEmbed.Tests;
using Microsoft.Extensions.AI;

namespace DuckEmbed.Onnx.Tests;

public sealed class SentenceEmbeddingGeneratorTests(BundledModelFixture model) : IClassFixture<BundledModelFixture>
{
    [Fact]
    public async Task Batching_and_padding_do_not_change_an_embedding()
    {
        var texts = ReferenceRow.All.Take(40).Select(r => r.Text).Append("short").Append(new string('x', 3000)).ToList();
        var together = await model.Generator.GenerateAsync(texts);
        for (var i = 0; i < texts.Count; i++)
        {
            var alone = await model.Generator.GenerateAsync([texts[i]]);
            Assert.True(VectorMath.Cosine(together[i].Vector.Span, alone[0].Vector.Span) >= 0.9999, $"text {i}");
        }
    }

    [Fact]
    public async Task Returns_embeddings_in_input_order_with_token_usage()
    {
        var texts = new[] { "a much longer sentence than the others, with many words in it", "hi", "a short one" };
        var result = await model.Generator.GenerateAsync(texts);
        Assert.Equal(3, result.Count);
        var reversed = await model.Generator.GenerateAsync(texts.Reverse());
        Assert.Equal(result[0].Vector.ToArray(), reversed[2].Vector.ToArray());
        Assert.True(result.Usage?.InputTokenCount > 10);
        Assert.Equal(0, result.Usage!.AdditionalCounts![SentenceEmbeddingGenerator.TruncatedTextsCount]);
    }

    [Fact]
    public void Describes_itself_through_metadata()
    {
        var metadata = model.Generator.GetService<EmbeddingGeneratorMetadata>();
        Assert.Equal(ModelSource.BundledModelId, metadata?.DefaultModelId);
        Assert.Equal(384, metadata?.DefaultModelDimensions);
        Assert.Equal(64, model.Generator.ModelSha256.Length);
    }

    [Fact]
    public void A_model_folder_without_model_onnx_is_refused_with_the_missing_file_named()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("vocab.txt"), "[PAD]\n");
        var error = Assert.Throws<ModelLoadException>(() => ModelSource.FromDirectory(folder.Path));
        Assert.Contains("model.onnx", error.Message, StringComparison.Ordinal);
    }
}
