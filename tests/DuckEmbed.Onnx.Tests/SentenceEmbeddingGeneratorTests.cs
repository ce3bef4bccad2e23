using DuckEmbed.Tests;
using Microsoft.Extensions.AI;

namespace DuckEmbed.Onnx.Tests;

public sealed class SentenceEmbeddingGeneratorTests(BundledModelFixture model) : IClassFixture<BundledModelFixture>
{
    [Theory]
    [InlineData(ExecutionDevice.Cpu, null, null, true)]
    [InlineData(ExecutionDevice.Cpu, ModelPrecision.Int8, null, true)]
    [InlineData(ExecutionDevice.Cpu, null, false, false)]
    [InlineData(ExecutionDevice.Cpu, ModelPrecision.Fp16, null, false)]
    [InlineData(ExecutionDevice.Cuda, null, true, false)]
    public void Attention_runs_without_its_padding_mask_only_on_the_cpu_in_batches_of_one_length_and_not_in_fp16(
        ExecutionDevice device, ModelPrecision? precision, bool? equalLengths, bool maskFree)
    {
        var options = new SentenceEmbeddingOptions { Device = device, Precision = precision, EqualLengthBatches = equalLengths };

        Assert.Equal(maskFree, SentenceEmbeddingGenerator.MaskFreeOn(device, options));
    }

    [Fact]
    public async Task Padded_batches_and_batches_of_one_length_give_each_text_the_embedding_it_gets_alone()
    {
        var texts = ReferenceRow.All.Take(40).Select(r => r.Text).Append("short").Append(new string('x', 3000)).ToList();
        using var padded = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), new SentenceEmbeddingOptions { EqualLengthBatches = false });
        var inPaddedBatches = await padded.GenerateAsync(texts);
        // The CPU's default: each batch of one token count.
        var inBatchesOfOneLength = await model.Generator.GenerateAsync(texts);
        for (var i = 0; i < texts.Count; i++)
        {
            var alone = await model.Generator.GenerateAsync([texts[i]]);
            Assert.True(VectorMath.Cosine(inPaddedBatches[i].Vector.Span, alone[0].Vector.Span) >= 0.9999, $"text {i}, padded");
            Assert.True(VectorMath.Cosine(inBatchesOfOneLength[i].Vector.Span, alone[0].Vector.Span) >= 0.9999, $"text {i}, one length");
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
    public async Task Vectors_are_written_into_the_callers_destination_and_are_the_same_as_without_one()
    {
        var texts = ReferenceRow.All.Take(20).Select(r => r.Text).ToList();
        var destination = new float[25 * 384];
        var options = new EmbeddingGenerationOptions { AdditionalProperties = new() { [SentenceEmbeddingGenerator.VectorDestinationKey] = destination.AsMemory() } };

        var written = await model.Generator.GenerateAsync(texts, options);
        var own = await model.Generator.GenerateAsync(texts);

        var rows = new HashSet<int>();
        for (var i = 0; i < texts.Count; i++)
        {
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(written[i].Vector, out var slice));
            Assert.Same(destination, slice.Array);
            Assert.True(rows.Add(slice.Offset / 384) && slice.Offset % 384 == 0 && slice.Offset < 20 * 384, $"text {i} at {slice.Offset}");
            Assert.Equal(own[i].Vector.ToArray(), written[i].Vector.ToArray());
        }
    }

    [Fact]
    public async Task A_destination_too_short_for_the_texts_is_refused_naming_the_key_and_the_length()
    {
        var options = new EmbeddingGenerationOptions { AdditionalProperties = new() { [SentenceEmbeddingGenerator.VectorDestinationKey] = new float[384].AsMemory() } };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => model.Generator.GenerateAsync(["one", "two"], options));

        Assert.Contains($"{SentenceEmbeddingGenerator.VectorDestinationKey} must be a Memory<float> of at least 2 × 384 floats; it is 384 floats", error.Message, StringComparison.Ordinal);
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

    [Fact]
    public async Task A_folder_laid_out_as_a_hugging_face_export_gives_the_same_embeddings_as_the_bundled_model()
    {
        using var folder = ExportedModelFolder.Make();
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
    [InlineData("mean_sqrt_len_tokens")]
    [InlineData("weightedmean_tokens")]
    [InlineData("lasttoken")]
    public void A_model_folder_whose_pooling_duckembed_does_not_compute_is_refused_naming_the_file_and_pooling(string pooling)
    {
        using var folder = ExportedModelFolder.Make(pooling);
        var error = Assert.Throws<ModelLoadException>(() => ModelSource.FromDirectory(folder.Path));
        Assert.Contains($"1_Pooling/config.json asks for {pooling} pooling; DuckEmbed computes mean, cls_token or max_tokens pooling", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("modules.json", """[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"},{"idx":2,"name":"2","path":"2_Dense","type":"sentence_transformers.models.Dense"}]""", "modules.json has a sentence_transformers.models.Dense module")]
    [InlineData("tokenizer.json", """{"normalizer":{"type":"BertNormalizer","lowercase":true,"strip_accents":false}}""", "tokenizer.json's normalizer has strip_accents false")]
    [InlineData("tokenizer.json", """{"normalizer":{"type":"BertNormalizer","lowercase":false}}""", "tokenizer.json's normalizer has lowercase false")]
    [InlineData("sentence_bert_config.json", """{"max_seq_length":"long"}""", "sentence_bert_config.json's max_seq_length is \"long\", not a number of tokens")]
    public void A_model_folder_asking_for_what_duckembed_does_not_compute_is_refused_naming_the_file_and_field(string file, string content, string expected)
    {
        using var folder = ExportedModelFolder.Make();
        File.WriteAllText(folder.File(file), content);
        var error = Assert.Throws<ModelLoadException>(() => ModelSource.FromDirectory(folder.Path));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pooling_prompts_and_length_are_read_from_the_folder()
    {
        using var folder = ExportedModelFolder.Make("cls_token");
        File.WriteAllText(folder.File("sentence_bert_config.json"), """{"max_seq_length": 128, "do_lower_case": false}""");
        File.WriteAllText(folder.File("config_sentence_transformers.json"), """{"prompts": {"query": "query: ", "document": "passage: "}}""");

        var source = ModelSource.FromDirectory(folder.Path);

        Assert.Equal(PoolingMode.Cls, source.Settings.Pooling);
        Assert.Equal(128, source.Settings.MaxSequenceLength);
        Assert.Equal("passage: ", source.Prompts["document"]);
    }

    [Fact]
    public async Task A_prompt_is_put_before_every_text_as_sentence_transformers_does()
    {
        using var folder = ExportedModelFolder.Make();
        File.WriteAllText(folder.File("config_sentence_transformers.json"), """{"prompts": {"query": "query: "}}""");
        using var withPrompt = SentenceEmbeddingGenerator.Create(ModelSource.FromDirectory(folder.Path), new SentenceEmbeddingOptions { Prompt = "query" });
        using var without = SentenceEmbeddingGenerator.Create(ModelSource.FromDirectory(folder.Path), new SentenceEmbeddingOptions());

        var prompted = await withPrompt.GenerateAsync(["ssh server"]);
        var spelledOut = await without.GenerateAsync(["query: ssh server"]);

        Assert.Equal(spelledOut[0].Vector.ToArray(), prompted[0].Vector.ToArray());
        Assert.Equal("query", withPrompt.Settings["prompt"]);
        Assert.Equal("query: ", withPrompt.Settings["prompt_text"]);
        var error = Assert.Throws<ModelLoadException>(() => SentenceEmbeddingGenerator.Create(ModelSource.FromDirectory(folder.Path), new SentenceEmbeddingOptions { Prompt = "passage" }));
        Assert.Equal(ModelSetting.Prompt, error.Setting);
        Assert.Equal("'passage' is not one of the model's prompts (query).", error.Message);
    }

    [Fact]
    public async Task Truncate_dim_keeps_the_first_dimensions_and_normalises_again()
    {
        using var full = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), new SentenceEmbeddingOptions());
        using var cut = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), new SentenceEmbeddingOptions { TruncateDimensions = 128 });

        var whole = (await full.GenerateAsync(["Matryoshka embeddings keep their meaning when cut"]))[0].Vector.ToArray();
        var truncated = (await cut.GenerateAsync(["Matryoshka embeddings keep their meaning when cut"]))[0].Vector.ToArray();

        Assert.Equal(128, cut.Dimensions);
        Assert.Equal(128, truncated.Length);
        Assert.Equal(1.0, VectorMath.Norm(truncated), 5);
        Assert.True(VectorMath.Cosine(whole.AsSpan(0, 128), truncated) >= 0.99999);
        Assert.Equal("128", cut.Settings["truncate_dim"]);
        Assert.Throws<ModelLoadException>(() => SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), new SentenceEmbeddingOptions { TruncateDimensions = 385 }));
    }

    [Fact]
    public void A_model_folder_with_a_cased_tokenizer_is_refused()
    {
        using var folder = ExportedModelFolder.Make(lowerCase: false);
        var error = Assert.Throws<ModelLoadException>(() => ModelSource.FromDirectory(folder.Path));
        Assert.Contains("tokenizer_config.json has do_lower_case false", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vocabulary_without_the_unknown_token_is_a_model_error_naming_the_folder()
    {
        using var folder = ExportedModelFolder.Make();
        File.WriteAllLines(folder.File("vocab.txt"), File.ReadAllLines(folder.File("vocab.txt")).Where(t => t != "[UNK]"));
        var error = Assert.Throws<ModelLoadException>(() => SentenceEmbeddingGenerator.Create(ModelSource.FromDirectory(folder.Path), new SentenceEmbeddingOptions()));
        Assert.Equal(ModelSetting.ModelPath, error.Setting);
        Assert.StartsWith($"{Path.GetFullPath(folder.Path)}: vocab.txt is not a BERT vocabulary: The vocabulary has no [UNK] token.", error.Message, StringComparison.Ordinal);
    }
}
