using DuckEmbed.Tests;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

/// <summary><see cref="EmbeddingVerifier"/> passes a finished output and names each way one can be wrong.</summary>
public sealed class EmbeddingVerifierTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Output => _folder.File("out.duckdb");

    private async Task<EmbeddingJob> Finished(int rows = 200)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, rows);
        var job = TestDatabase.Job(input, Output);
        await EmbeddingProcessor.ProcessAsync(job with { WindowSize = 64 }, new HashEmbeddingGenerator(), NullLogger.Instance);
        return job;
    }

    [Fact]
    public async Task A_finished_output_passes_with_its_sample_embedding_to_the_same_vectors()
    {
        var job = await Finished();

        var report = await EmbeddingVerifier.VerifyAsync(job, new HashEmbeddingGenerator());

        Assert.True(report.Passed, string.Join("; ", report.Problems));
        Assert.Equal(200, report.Rows);
        Assert.Equal(32, report.SampledRows);
        Assert.Equal(1.0, report.LowestSampleCosine, 6);
    }

    [Fact]
    public async Task A_partial_output_names_the_missing_ids()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 200);
        var job = TestDatabase.Job(input, Output);
        await ProcessorRuns.RunCancelledAtCallAsync(job, windowSize: 40, stopAtCall: 3);
        var present = TestDatabase.CountRows(Output, "embedded");

        var report = await EmbeddingVerifier.VerifyAsync(job, new HashEmbeddingGenerator());

        Assert.Equal([$"{200 - present} input ids are not in embedded"], report.Problems);
    }

    [Fact]
    public async Task Repeated_extra_and_changed_rows_are_each_named()
    {
        var job = await Finished();
        TestDatabase.Execute(Output, "INSERT INTO embedded SELECT * FROM embedded WHERE id <= 2", "INSERT INTO embedded SELECT 9999, body, vector FROM embedded WHERE id = 3",
            "UPDATE embedded SET body = 'edited' WHERE id = 4");

        var report = await EmbeddingVerifier.VerifyAsync(job, new HashEmbeddingGenerator());

        Assert.Contains("2 rows repeat an id", report.Problems);
        Assert.Contains("1 output ids are not in the input", report.Problems);
        Assert.Contains("1 texts differ from the input's", report.Problems);
    }

    [Fact]
    public async Task Vectors_of_a_normalising_model_that_are_not_unit_length_are_named()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 50);
        var job = TestDatabase.Job(input, Output) with { GeneratorSettings = new Dictionary<string, string> { ["normalization"] = "l2" } };
        // DuckEmbed refuses to write such vectors (VectorCheckTests): an output written otherwise, or by an older
        // version, claiming l2 for vectors that are not.
        await EmbeddingProcessor.ProcessAsync(job with { WindowSize = 64, GeneratorSettings = new Dictionary<string, string>() }, new HashEmbeddingGenerator(), NullLogger.Instance);
        TestDatabase.Execute(Output, "INSERT INTO duckembed_metadata VALUES ('embedded', 'normalization', 'l2')");

        var report = await EmbeddingVerifier.VerifyAsync(job, new HashEmbeddingGenerator());

        Assert.Contains("50 vectors are not of unit length", report.Problems);
    }

    [Fact]
    public async Task A_sample_that_moves_a_little_fails_the_default_floor_and_passes_a_lower_one()
    {
        var job = await Finished();
        using var drifting = new DriftingGenerator(new HashEmbeddingGenerator());

        var strict = await EmbeddingVerifier.VerifyAsync(job, drifting);
        var quantized = await EmbeddingVerifier.VerifyAsync(job, drifting, minimumSampleCosine: 0.99);

        Assert.Contains(strict.Problems, p => p.StartsWith("32 of 32 sampled rows embed again to a vector below cosine 0.9999", StringComparison.Ordinal));
        Assert.True(quantized.Passed, string.Join("; ", quantized.Problems));
        Assert.InRange(quantized.LowestSampleCosine, 0.99, 0.9999);
    }

    /// <summary>The inner generator's vectors, each nudged along its first axis by 6 % of its length: cosine ~0.998 to the original.</summary>
    private sealed class DriftingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner) : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
    {
        public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
            EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var embeddings = await base.GenerateAsync(values, options, cancellationToken);
            var nudged = new GeneratedEmbeddings<Embedding<float>>(embeddings.Count);
            foreach (var embedding in embeddings)
            {
                var vector = embedding.Vector.ToArray();
                vector[0] += 0.06f * MathF.Sqrt(vector.Sum(v => v * v));
                nudged.Add(new Embedding<float>(vector));
            }
            return nudged;
        }
    }

    [Fact]
    public async Task Another_model_is_named_by_its_provenance_and_its_sample()
    {
        var job = await Finished();

        var report = await EmbeddingVerifier.VerifyAsync(job with { GeneratorSettings = new Dictionary<string, string> { ["model_sha256"] = "other" } },
            new ReversedGenerator());

        Assert.Contains("provenance differs from this config and model: model_sha256: (none) then, other now", report.Problems);
        Assert.Contains(report.Problems, p => p.StartsWith("32 of 32 sampled rows embed again to a vector below cosine 0.9999", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_output_whose_record_was_dropped_is_a_named_problem_not_a_crash()
    {
        var job = await Finished();
        TestDatabase.Execute(Output, "DROP TABLE duckembed_metadata");

        var report = await EmbeddingVerifier.VerifyAsync(job, new HashEmbeddingGenerator());

        Assert.False(report.Passed);
        Assert.Contains(report.Problems, p => p.StartsWith("provenance differs from this config and model: input_table: (none) then, docs now", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Search_skips_a_list_vector_of_another_length_instead_of_failing()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 50);
        var job = TestDatabase.Job(input, Output) with { VectorType = VectorColumnType.List };
        await EmbeddingProcessor.ProcessAsync(job, new HashEmbeddingGenerator(), NullLogger.Instance);
        TestDatabase.Execute(Output, "UPDATE embedded SET vector = [1.0, 2.0] WHERE id = 7");

        var hits = await EmbeddingSearch.SearchAsync(job, new HashEmbeddingGenerator(), "text number 7", count: 100);

        Assert.Equal(49, hits.Count);
        Assert.DoesNotContain(hits, h => h.Id == "7");
    }

    [Fact]
    public async Task A_missing_output_is_a_user_error()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 5);
        var error = await Assert.ThrowsAsync<EmbeddingJobException>(() => EmbeddingVerifier.VerifyAsync(TestDatabase.Job(input, Output), new HashEmbeddingGenerator()));
        Assert.Equal($"OutputDatabasePath: {Output} does not exist; embed the input first.", error.Described());
    }

    /// <summary>Another "model": the hash vectors backwards.</summary>
    private sealed class ReversedGenerator : IEmbeddingGenerator<string, Embedding<float>>
    {
        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
            CancellationToken cancellationToken = default) =>
            Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(t => new Embedding<float>(HashEmbeddingGenerator.VectorOf(t).Reverse().ToArray()))));

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }
}
