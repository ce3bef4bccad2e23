using DuckEmbed.Onnx.Graph;
using DuckEmbed.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Onnx.Tests;

/// <summary>A conversion is made once per model, precision and converter, then read back.</summary>
public sealed class ConvertedModelCacheTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private const string Sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [Fact]
    public void The_second_request_reads_the_file_instead_of_converting()
    {
        var cache = new ConvertedModelCache(_folder.File("cache"), NullLogger.Instance);
        var conversions = 0;
        byte[] Convert() { conversions++; return [1, 2, 3]; }

        Assert.Equal([1, 2, 3], cache.GetOrCreate(Sha, ModelPrecision.Int8, 256, Convert));
        Assert.Equal([1, 2, 3], cache.GetOrCreate(Sha, ModelPrecision.Int8, 256, Convert));

        Assert.Equal(1, conversions);
        Assert.Equal([cache.PathFor(Sha, ModelPrecision.Int8, 256)], Directory.GetFiles(_folder.File("cache")));
    }

    [Fact]
    public void Another_model_precision_or_length_is_another_file()
    {
        var cache = new ConvertedModelCache(_folder.Path, NullLogger.Instance);
        var paths = new[]
        {
            cache.PathFor(Sha, ModelPrecision.Int8, 256), cache.PathFor(Sha, ModelPrecision.Fp16, 256),
            cache.PathFor(Sha, ModelPrecision.Int8, 128), cache.PathFor("f" + Sha[1..], ModelPrecision.Int8, 256),
        };
        Assert.Equal(paths.Length, paths.Distinct().Count());
        Assert.Contains($"-int8-v{ConvertedModelCache.ConverterVersion}-", paths[0], StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_that_cannot_be_written_costs_only_the_conversion()
    {
        var blocker = _folder.File("not-a-folder");
        File.WriteAllText(blocker, "a file where the cache folder would be");
        var cache = new ConvertedModelCache(Path.Combine(blocker, "cache"), NullLogger.Instance);

        Assert.Equal([7], cache.GetOrCreate(Sha, ModelPrecision.Int8, 256, () => [7]));
        Assert.Equal([7], cache.GetOrCreate(Sha, ModelPrecision.Int8, 256, () => [7]));
    }

    [Fact]
    public async Task An_int8_generator_made_from_the_cache_embeds_exactly_as_the_one_that_converted()
    {
        var options = new SentenceEmbeddingOptions { Precision = ModelPrecision.Int8, ConvertedModelCache = _folder.File("cache") };
        string[] texts = ["a first text", "and a second, longer text about packages"];

        using var converting = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), options);
        var converted = await converting.GenerateAsync(texts);
        Assert.Single(Directory.GetFiles(_folder.File("cache")));
        var logger = new RecordingLogger();
        using var cached = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(), options, logger);
        var fromCache = await cached.GenerateAsync(texts);

        Assert.Equal(converted.Select(e => e.Vector.ToArray()), fromCache.Select(e => e.Vector.ToArray()));
        Assert.Equal(converting.Settings, cached.Settings);
        Assert.Contains(logger.Lines, line => line.StartsWith("Converted int8 model read from ", StringComparison.Ordinal));
    }
}
