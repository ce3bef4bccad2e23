using System.Security.Cryptography;
using DuckEmbed.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

public sealed class ExactlyOnceTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public async Task Writes_every_input_row_exactly_once_with_its_text_and_vector_whatever_the_writers(int writers)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 1000);
        var output = _folder.File("out.duckdb");

        var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 56, Writers = writers },
            new HashEmbeddingGenerator(), NullLogger.Instance);

        Assert.Equal(1000, summary.RowsWritten);
        Assert.Equal(HashEmbeddingGenerator.Dimensions, summary.Dimensions);
        AssertEveryRowOnceWithItsVector(input, output, 1000);
    }

    [Theory]
    [InlineData(VectorColumnType.Array)]
    [InlineData(VectorColumnType.List)]
    public async Task Vectors_of_either_type_are_stored_uncompressed_and_read_back_exactly(VectorColumnType type)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 3000);
        var output = _folder.File("out.duckdb");

        await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { VectorType = type, WindowSize = 512 },
            new HashEmbeddingGenerator(), NullLogger.Instance);

        var compressions = TestDatabase.Query(output,
            "SELECT DISTINCT compression FROM pragma_storage_info('embedded') WHERE column_name = 'vector' AND segment_type = 'FLOAT'");
        Assert.Equal("Uncompressed", Assert.Single(compressions)[0]);
        AssertEveryRowOnceWithItsVector(input, output, 3000);
    }

    [Fact]
    public async Task Resumes_after_cancellation_without_losing_or_repeating_a_row()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 500);
        var output = _folder.File("out.duckdb");
        await ProcessorRuns.RunCancelledAtCallAsync(TestDatabase.Job(input, output), windowSize: 80, stopAtCall: 4);
        var committed = TestDatabase.CountRows(output, "embedded");
        Assert.InRange(committed, 1, 499);

        var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 80 }, new HashEmbeddingGenerator(), NullLogger.Instance);

        Assert.Equal(committed, summary.RowsAlreadyPresent);
        Assert.Equal(500 - committed, summary.RowsWritten);
        AssertEveryRowOnceWithItsVector(input, output, 500);
    }

    [Fact]
    public async Task A_failing_generator_keeps_committed_windows_and_a_rerun_completes()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 300);
        var output = _folder.File("out.duckdb");
        var failing = new HashEmbeddingGenerator { BeforeCall = call => { if (call == 3) { throw new InvalidOperationException("model crashed"); } } };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 80 }, failing, NullLogger.Instance));
        Assert.Equal("model crashed", error.Message);
        Assert.Equal(160L, TestDatabase.CountRows(output, "embedded"));

        await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 80 }, new HashEmbeddingGenerator(), NullLogger.Instance);
        AssertEveryRowOnceWithItsVector(input, output, 300);
    }

    [Fact]
    public async Task A_finished_run_run_again_writes_nothing()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 50);
        var output = _folder.File("out.duckdb");
        await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 64 }, new HashEmbeddingGenerator(), NullLogger.Instance);

        var again = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 64 }, new HashEmbeddingGenerator(), NullLogger.Instance);

        Assert.Equal(0, again.RowsWritten);
        Assert.Equal(50, again.RowsAlreadyPresent);
        AssertEveryRowOnceWithItsVector(input, output, 50);
    }

    [Fact]
    public async Task Null_texts_are_written_with_a_null_vector_and_counted()
    {
        var input = _folder.File("input.duckdb");
        TestDatabase.Execute(input, "CREATE TABLE docs (id INTEGER, body VARCHAR)",
            "INSERT INTO docs VALUES (1, 'one'), (2, NULL), (3, ''), (4, 'four')");
        var output = _folder.File("out.duckdb");

        var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 16 }, new HashEmbeddingGenerator(), NullLogger.Instance);

        Assert.Equal(1, summary.NullTexts);
        var rows = TestDatabase.Query(output, "SELECT id, vector IS NULL FROM embedded ORDER BY id");
        Assert.Equal([false, true, false, false], rows.Select(r => (bool)r[1]!));
    }

    [Fact]
    public async Task Texts_and_string_ids_holding_nul_characters_are_copied_whole()
    {
        var input = _folder.File("input.duckdb");
        TestDatabase.Execute(input, "CREATE TABLE docs (id VARCHAR, body VARCHAR)",
            "INSERT INTO docs SELECT 'k' || chr(0) || lpad(i::VARCHAR, 3, '0'), 'before' || chr(0) || 'after ' || i FROM range(1, 41) t(i)");
        var output = _folder.File("out.duckdb");
        await ProcessorRuns.RunCancelledAtCallAsync(TestDatabase.Job(input, output), windowSize: 8, stopAtCall: 3);

        await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 8 }, new HashEmbeddingGenerator(), NullLogger.Instance);

        AssertEveryRowOnceWithItsVector(input, output, 40);
        Assert.All(TestDatabase.Query(output, "SELECT id, body FROM embedded"), r =>
        {
            Assert.Equal(5, ((string)r[0]!).Length);
            Assert.StartsWith("before\0after ", (string)r[1]!, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task The_input_file_is_byte_for_byte_unchanged()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 200);
        var before = SHA256.HashData(File.ReadAllBytes(input));
        var filesBefore = Directory.GetFiles(_folder.Path).Order().ToList();

        await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, _folder.File("out.duckdb")) with { WindowSize = 128 }, new HashEmbeddingGenerator(), NullLogger.Instance);

        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(input)));
        Assert.DoesNotContain(Directory.GetFiles(_folder.Path), f => f.StartsWith(input, StringComparison.Ordinal) && f != input);
        Assert.Equal(filesBefore.Append(_folder.File("out.duckdb")).Order(), Directory.GetFiles(_folder.Path).Order());
    }

    [Fact]
    public async Task Reports_progress_after_every_window_up_to_the_total_and_each_stage_as_it_starts()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 100);
        var reports = new List<EmbeddingProgress>();
        var progress = new SynchronousProgress(reports.Add);

        await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, _folder.File("out.duckdb")) with { WindowSize = 20 },
            new HashEmbeddingGenerator(), NullLogger.Instance, progress);

        var rowsDone = reports.Select(r => r.RowsDone).ToList();
        Assert.Equal([0L, 20, 40, 60, 80, 100], rowsDone.Distinct());
        Assert.Equal(rowsDone.Order(), rowsDone);
        Assert.All(reports, r => Assert.Equal(100, r.TotalRows));
        Assert.Equal((0, EmbeddingStage.Reading), (reports[0].RowsDone, reports[0].Stage));
        Assert.Contains(reports, r => r.Stage == EmbeddingStage.Embedding);
        Assert.Contains(reports, r => r.Stage == EmbeddingStage.Committing);
        Assert.Equal((100, EmbeddingStage.Checkpoint), (reports[^1].RowsDone, reports[^1].Stage));
    }

    [Fact]
    public async Task Identical_texts_are_embedded_once_and_every_row_gets_the_vector_of_its_text()
    {
        // 600 rows, 150 distinct texts: each text four times, twice in the same 32-row window and twice in windows
        // further on.
        var input = _folder.File("input.duckdb");
        TestDatabase.Execute(input, "CREATE TABLE docs (id BIGINT, body VARCHAR)",
            "INSERT INTO docs SELECT i, 'text ' || ((i // 2) % 150) FROM range(600) t(i)");
        var output = _folder.File("out.duckdb");
        var generator = new HashEmbeddingGenerator();

        var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output), generator, NullLogger.Instance);

        Assert.Equal(600, summary.RowsWritten);
        Assert.Equal(150, generator.Texts);
        Assert.Equal(450, summary.ReusedVectors);
        AssertEveryRowOnceWithItsVector(input, output, 600);
    }

    internal static void AssertEveryRowOnceWithItsVector(string input, string output, int expectedRows)
    {
        var written = TestDatabase.Query(output, "SELECT id, body, vector FROM embedded");
        Assert.Equal(expectedRows, written.Count);
        Assert.Equal(expectedRows, written.Select(r => r[0]).Distinct().Count());
        var texts = TestDatabase.Query(input, "SELECT id, body FROM docs").ToDictionary(r => r[0]!, r => (string?)r[1]);
        foreach (var row in written)
        {
            Assert.Equal(texts[row[0]!], row[1]);
            var vector = ((List<float>)row[2]!).ToArray();
            Assert.Equal(HashEmbeddingGenerator.VectorOf((string)row[1]!), vector);
        }
    }

    private sealed class SynchronousProgress(Action<EmbeddingProgress> report) : IProgress<EmbeddingProgress>
    {
        public void Report(EmbeddingProgress value) => report(value);
    }
}
