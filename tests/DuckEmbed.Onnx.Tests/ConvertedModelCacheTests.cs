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

    public static TheoryData<string> DamagedFiles => ["empty", "truncated", "flipped byte", "raw onnx", "another model", "another precision", "damaged header"];

    [Theory]
    [MemberData(nameof(DamagedFiles))]
    public void A_cache_file_that_is_not_what_its_name_says_is_converted_again_and_replaced(string damage)
    {
        var cache = new ConvertedModelCache(_folder.Path, NullLogger.Instance);
        var path = cache.PathFor(Sha, ModelPrecision.Int8, 256);
        byte[] model = [.. Enumerable.Range(0, 1000).Select(i => (byte)i)];
        cache.GetOrCreate(Sha, ModelPrecision.Int8, 256, () => model);
        var stored = File.ReadAllBytes(path);
        var otherModel = "f" + Sha[1..];
        File.WriteAllBytes(path, damage switch
        {
            "empty" => [],
            "truncated" => stored[..^100],
            "flipped byte" => [.. stored[..^1], (byte)(stored[^1] ^ 1)],
            "raw onnx" => model,
            "another model" => ReadStored(c => c.GetOrCreate(otherModel, ModelPrecision.Int8, 256, () => model), c => c.PathFor(otherModel, ModelPrecision.Int8, 256)),
            "another precision" => ReadStored(c => c.GetOrCreate(Sha, ModelPrecision.Fp16, 256, () => model), c => c.PathFor(Sha, ModelPrecision.Fp16, 256)),
            "damaged header" => [.. stored.Select(b => b == (byte)'{' ? (byte)'[' : b)],
            _ => throw new ArgumentOutOfRangeException(nameof(damage)),
        });
        var logger = new RecordingLogger();
        var conversions = 0;

        var read = new ConvertedModelCache(_folder.Path, logger).GetOrCreate(Sha, ModelPrecision.Int8, 256, () => { conversions++; return [9, 9]; });

        Assert.Equal([9, 9], read);
        Assert.Equal(1, conversions);
        Assert.Contains(logger.Lines, line => line.StartsWith($"The converted model cache {path} ", StringComparison.Ordinal) && line.Contains("converting again", StringComparison.Ordinal));
        Assert.Equal([9, 9], new ConvertedModelCache(_folder.Path, NullLogger.Instance).GetOrCreate(Sha, ModelPrecision.Int8, 256, () => throw new InvalidOperationException("not replaced")));
    }

    private static byte[] ReadStored(Action<ConvertedModelCache> store, Func<ConvertedModelCache, string> pathOf)
    {
        using var other = new TempDirectory();
        var cache = new ConvertedModelCache(other.Path, NullLogger.Instance);
        store(cache);
        return File.ReadAllBytes(pathOf(cache));
    }

    [Fact]
    public void Temporary_files_a_killed_run_left_are_removed_and_a_conversion_still_writing_is_not()
    {
        Directory.CreateDirectory(_folder.File("cache"));
        var abandoned = _folder.File("cache/abc-int8.onnx.123-0f.tmp");
        var writing = _folder.File("cache/abc-int8.onnx.456-0f.tmp");
        File.WriteAllBytes(abandoned, new byte[1000]);
        File.WriteAllBytes(writing, new byte[1000]);
        File.SetLastWriteTimeUtc(abandoned, DateTime.UtcNow - ConvertedModelCache.AbandonedAfter - TimeSpan.FromMinutes(1));

        new ConvertedModelCache(_folder.File("cache"), NullLogger.Instance).GetOrCreate(Sha, ModelPrecision.Int8, 256, () => [1]);

        Assert.False(File.Exists(abandoned));
        Assert.True(File.Exists(writing));
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

    [Fact]
    public async Task Int8_for_batches_of_one_length_and_int8_for_padded_batches_are_cached_apart()
    {
        // The first has no padding mask: read for padded batches, it would attend to their padding.
        var cache = _folder.File("cache");
        string[] texts = ["a", "a longer text, so that a padded batch pads the first one"];
        using var oneLength = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(),
            new SentenceEmbeddingOptions { Precision = ModelPrecision.Int8, ConvertedModelCache = cache, EqualLengthBatches = true });
        var oneLengthVectors = await oneLength.GenerateAsync(texts);
        var logger = new RecordingLogger();
        using var padded = SentenceEmbeddingGenerator.Create(ModelSource.Bundled(),
            new SentenceEmbeddingOptions { Precision = ModelPrecision.Int8, ConvertedModelCache = cache, EqualLengthBatches = false }, logger);
        var paddedVectors = await padded.GenerateAsync(texts);

        Assert.Equal(2, Directory.GetFiles(cache).Length);
        Assert.DoesNotContain(logger.Lines, line => line.StartsWith("Converted int8 model read from ", StringComparison.Ordinal));
        for (var i = 0; i < texts.Length; i++)
        {
            var cosine = VectorMath.Cosine(oneLengthVectors[i].Vector.ToArray(), paddedVectors[i].Vector.ToArray());
            // int8's floor: its activations are quantized per batch, so a padded batch's scales differ a little.
            Assert.True(cosine >= 0.99, $"text {i}: cosine {cosine}");
        }
    }
}
