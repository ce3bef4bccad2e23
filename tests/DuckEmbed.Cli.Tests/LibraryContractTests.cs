using DuckEmbed.Onnx;
using DuckEmbed.Processor;

namespace DuckEmbed.Cli.Tests;

/// <summary>
/// The two libraries know nothing of each other (the processor takes any generator); what one reports and the other
/// reads must still agree, and the CLI is where both are present.
/// </summary>
public sealed class LibraryContractTests
{
    [Fact]
    public void The_onnx_generators_truncated_texts_count_is_the_key_the_processor_sums()
    {
        Assert.Equal(EmbeddingProcessor.TruncatedTextsUsageKey, SentenceEmbeddingGenerator.TruncatedTextsCount);
    }

    [Fact]
    public void The_clis_default_batch_size_is_the_generators()
    {
        Assert.Equal(SentenceEmbeddingOptions.DefaultMaxBatchSize, RunSettings.DefaultBatchSize);
    }

    [Fact]
    public void The_onnx_generator_gives_its_settings_under_the_key_the_processor_asks_for()
    {
        using var generator = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), new SentenceEmbeddingOptions());

        Assert.Equal(EmbeddingJob.GeneratorSettingsKey, SentenceEmbeddingGenerator.SettingsServiceKey);
        var settings = Assert.IsAssignableFrom<IReadOnlyDictionary<string, string>>(
            generator.GetService(typeof(IReadOnlyDictionary<string, string>), EmbeddingJob.GeneratorSettingsKey));
        Assert.Equal(generator.Settings, settings);
        Assert.Equal(generator.ModelSha256, settings["model_sha256"]);
    }
}
