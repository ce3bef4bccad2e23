using DuckEmbed.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

/// <summary>The output records what made it, and a resume with something else is refused.</summary>
public sealed class ProvenanceTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static EmbeddingJob WithModel(EmbeddingJob job, string hash) =>
        job with { GeneratorSettings = new Dictionary<string, string> { ["model_sha256"] = hash, ["pooling"] = "mean" } };

    [Fact]
    public async Task The_output_records_the_model_settings_and_the_input_it_came_from()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 10);
        var output = _folder.File("out.duckdb");

        await EmbeddingProcessor.ProcessAsync(WithModel(TestDatabase.Job(input, output), "abc"), new HashEmbeddingGenerator(), NullLogger.Instance);

        var record = TestDatabase.Query(output, "SELECT key, value FROM duckembed_metadata WHERE output_table = 'embedded'")
            .ToDictionary(r => (string)r[0]!, r => (string)r[1]!);
        Assert.Equal("abc", record["model_sha256"]);
        Assert.Equal("mean", record["pooling"]);
        Assert.Equal("docs", record["input_table"]);
        Assert.Equal("id", record["id_column"]);
        Assert.Equal("body", record["text_column"]);
        Assert.Equal("vector", record["vector_column"]);
        Assert.StartsWith("0.1.0", record["tool_version"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Resuming_with_another_model_is_refused_naming_what_differs()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 40);
        var output = _folder.File("out.duckdb");
        await ProcessorRuns.RunCancelledAtCallAsync(WithModel(TestDatabase.Job(input, output), "abc"), windowSize: 16, stopAtCall: 3);
        var before = TestDatabase.CountRows(output, "embedded");

        var error = await Assert.ThrowsAsync<EmbeddingJobException>(() =>
            EmbeddingProcessor.ProcessAsync(WithModel(TestDatabase.Job(input, output), "xyz") with { WindowSize = 16 }, new HashEmbeddingGenerator(), NullLogger.Instance));

        Assert.Contains("model_sha256: abc then, xyz now", error.Message, StringComparison.Ordinal);
        Assert.True(error.CanOverwrite);
        Assert.Equal(JobSetting.OutputTable, error.Setting);
        Assert.Equal(before, TestDatabase.CountRows(output, "embedded"));
    }

    [Fact]
    public async Task A_generator_that_describes_itself_is_recorded_without_the_caller_copying_it_and_another_is_refused()
    {
        // What a program reusing the processor does: the job names tables and files, and says nothing of the model.
        var input = TestDatabase.CreateDocs(_folder.Path, 40);
        var output = _folder.File("out.duckdb");
        var job = TestDatabase.Job(input, output) with { WindowSize = 16 };
        await ProcessorRuns.RunCancelledAtCallAsync(job, windowSize: 16, stopAtCall: 3,
            generator: new HashEmbeddingGenerator { Settings = new Dictionary<string, string> { ["model_sha256"] = "abc" } });

        var error = await Assert.ThrowsAsync<EmbeddingJobException>(() => EmbeddingProcessor.ProcessAsync(job,
            new HashEmbeddingGenerator { Settings = new Dictionary<string, string> { ["model_sha256"] = "xyz" } }, NullLogger.Instance));

        Assert.Equal("abc", TestDatabase.Query(output, "SELECT value FROM duckembed_metadata WHERE key = 'model_sha256'")[0][0]);
        Assert.Contains("model_sha256: abc then, xyz now", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overwrite_starts_over_with_the_new_settings()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 40);
        var output = _folder.File("out.duckdb");
        await ProcessorRuns.RunCancelledAtCallAsync(WithModel(TestDatabase.Job(input, output), "abc"), windowSize: 16, stopAtCall: 3);

        var summary = await EmbeddingProcessor.ProcessAsync(WithModel(TestDatabase.Job(input, output), "xyz") with { Overwrite = true, WindowSize = 16 },
            new HashEmbeddingGenerator(), NullLogger.Instance);

        Assert.Equal(0, summary.RowsAlreadyPresent);
        Assert.Equal(40, summary.RowsWritten);
        ExactlyOnceTests.AssertEveryRowOnceWithItsVector(input, output, 40);
        Assert.Equal("xyz", TestDatabase.Query(output, "SELECT value FROM duckembed_metadata WHERE key = 'model_sha256'").Single()[0]);
    }

    [Fact]
    public async Task A_table_with_rows_that_duckembed_did_not_write_is_not_resumed()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 5);
        var output = _folder.File("out.duckdb");
        TestDatabase.Execute(output, "CREATE TABLE embedded (id BIGINT, body VARCHAR, vector FLOAT[])", "INSERT INTO embedded VALUES (1, 'x', [1.0])");

        var error = await Assert.ThrowsAsync<EmbeddingJobException>(() =>
            EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 16 }, new HashEmbeddingGenerator(), NullLogger.Instance));

        Assert.Contains("holds 1 rows that DuckEmbed has no record of making", error.Message, StringComparison.Ordinal);
    }
}
