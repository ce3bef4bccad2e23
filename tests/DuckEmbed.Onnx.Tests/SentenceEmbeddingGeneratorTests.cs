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

    /// <summary>The bundled model's files laid out as a Hugging Face export: onnx/model.onnx, vocab.txt and the settings files.</summary>
    private static TempDirectory ExportedModelFolder(string pooling = "mean_tokens", bool lowerCase = true)
    {
        var folder = new TempDirectory();
        var source = ModelSource.Bundled();
        Directory.CreateDirectory(folder.File("onnx"));
        File.WriteAllBytes(folder.File(Path.Combine("onnx", "model.onnx")), source.ReadModel());
        using (var vocabulary = source.OpenVocabulary())
        using (var file = File.Create(folder.File("vocab.txt")))
        {
            vocabulary.CopyTo(file);
        }
        Directory.CreateDirectory(folder.File("1_Pooling"));
        File.WriteAllText(folder.File(Path.Combine("1_Pooling", "config.json")),
            $$"""{ "word_embedding_dimension": 384, "pooling_mode_cls_token": false, "pooling_mode_mean_tokens": false, "pooling_mode_{{pooling}}": true }""");
        File.WriteAllText(folder.File("tokenizer_config.json"), $$"""{ "do_lower_case": {{(lowerCase ? "true" : "false")}} }""");
        return folder;
    }

    [Fact]
    public async Task A_folder_laid_out_as_a_hugging_face_export_gives_the_same_embeddings_as_the_bundled_model()
    {
        using var folder = ExportedModelFolder();
        using var fromFolder = SentenceEmbeddingGenerator.Create(ModelSource.FromDirectory(folder.Path), new SentenceEmbeddingOptions());
        using var bundled = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), new SentenceEmbeddingOptions());
        string[] texts = ["Résumé of a command-line tool", "short"];

        var ours = await fromFolder.GenerateAsync(texts);
        var expected = await bundled.GenerateAsync(texts);

        Assert.Equal(bundled.ModelSha256, fromFolder.ModelSha256);
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(expected[i].Vector.ToArray(), ours[i].Vector.ToArray());
        }
    }

    [Theory]
    [InlineData("cls_token", "asks for cls_token pooling")]
    [InlineData("max_tokens", "asks for max_tokens pooling")]
    public void A_model_folder_whose_pooling_is_not_the_mean_is_refused_naming_the_pooling(string pooling, string expected)
    {
        using var folder = ExportedModelFolder(pooling);
        var error = Assert.Throws<ModelLoadException>(() => ModelSource.FromDirectory(folder.Path));
        Assert.Contains("1_Pooling/config.json " + expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_folder_with_a_cased_tokenizer_is_refused()
    {
        using var folder = ExportedModelFolder(lowerCase: false);
        var error = Assert.Throws<ModelLoadException>(() => ModelSource.FromDirectory(folder.Path));
        Assert.Contains("tokenizer_config.json has do_lower_case false", error.Message, StringComparison.Ordinal);
    }
}
