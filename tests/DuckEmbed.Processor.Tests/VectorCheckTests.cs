using DuckEmbed.Tests;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

/// <summary>No vector that is not one is written: a NaN, a zero or a non-unit vector stops the run at its window.</summary>
public sealed class VectorCheckTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private const string PoisonedId = "77";
    private const string PoisonedText = "text number " + PoisonedId;

    /// <summary>The hash model, normalised, with one text's vector replaced.</summary>
    private sealed class PoisonedGenerator(float[] poison) : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
            EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(t => new Embedding<float>(
                t.Split(' ')[2] == PoisonedId ? poison
                    : Unit(HashEmbeddingGenerator.VectorOf(t))))));

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }

    private static float[] Unit(float[] vector)
    {
        var length = (float)Math.Sqrt(vector.Sum(v => (double)v * v));
        return [.. vector.Select(v => v / length)];
    }

    private static readonly Dictionary<string, string> Normalised = new() { ["normalization"] = "l2" };

    public static TheoryData<string, float[], string> Poisons => new()
    {
        { "NaN", [float.NaN, .. new float[HashEmbeddingGenerator.Dimensions - 1]], "a vector with NaN or infinite values" },
        { "infinity", [float.PositiveInfinity, .. new float[HashEmbeddingGenerator.Dimensions - 1]], "a vector with NaN or infinite values" },
        { "zero", new float[HashEmbeddingGenerator.Dimensions], "a vector of length 0 where it normalises to length 1" },
        { "short", new float[3], "a vector of 3 floats after vectors of 8" },
    };

    [Theory]
    [MemberData(nameof(Poisons))]
    public async Task A_vector_that_is_not_one_stops_the_run_at_its_window_and_a_rerun_with_a_sound_model_completes(string poison, float[] vector, string expected)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 300);
        var output = _folder.File($"{poison}.duckdb");
        var job = TestDatabase.Job(input, output) with { GeneratorSettings = Normalised, Writers = 1, GeneratorCalls = 1 };

        var error = await Assert.ThrowsAsync<EmbeddingJobException>(() => EmbeddingProcessor.ProcessAsync(job, new PoisonedGenerator(vector), NullLogger.Instance));

        Assert.Contains($"The model gave {expected} for the text \"{PoisonedText}", error.Message, StringComparison.Ordinal);
        Assert.Contains("that window was not written", error.Message, StringComparison.Ordinal);
        if (File.Exists(output))
        {
            Assert.Empty(TestDatabase.Query(output, "SELECT id FROM embedded WHERE id = 77"));
            Assert.Empty(TestDatabase.Query(output, "SELECT id FROM embedded WHERE NOT isfinite(list_sum(vector::FLOAT[]))"));
        }
        var summary = await EmbeddingProcessor.ProcessAsync(job, new PoisonedGenerator(Unit(HashEmbeddingGenerator.VectorOf(PoisonedText))), NullLogger.Instance);
        Assert.Equal(300, TestDatabase.CountRows(output, "embedded"));
        Assert.Equal(300, summary.RowsAlreadyPresent + summary.RowsWritten);
    }

    [Fact]
    public async Task A_generator_that_does_not_normalise_may_give_vectors_of_any_finite_length()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 50);
        var output = _folder.File("raw.duckdb");

        await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output), new HashEmbeddingGenerator(), NullLogger.Instance);

        Assert.Equal(50, TestDatabase.CountRows(output, "embedded"));
    }
}
