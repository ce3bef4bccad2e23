using DuckEmbed.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

/// <summary>
/// Resuming checks that the output was made from this input: another database with the same table, or an input
/// whose rows changed, is refused naming the difference; rows added since the last run are embedded wherever they sort.
/// </summary>
public sealed class ChangedInputTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Output => _folder.File("out.duckdb");

    private async Task<long> PartialRun(string input)
    {
        await ProcessorRuns.RunCancelledAtCallAsync(TestDatabase.Job(input, Output), windowSize: 40, stopAtCall: 4);
        return TestDatabase.CountRows(Output, "embedded");
    }

    private Task<EmbeddingRunSummary> Run(string input) =>
        EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, Output) with { WindowSize = 40 }, new HashEmbeddingGenerator(), NullLogger.Instance);

    [Fact]
    public async Task Another_database_with_the_same_table_is_refused_naming_the_ids_that_are_not_in_it()
    {
        var first = TestDatabase.CreateDocs(_folder.Path, 200);
        var rows = await PartialRun(first);
        var other = _folder.File("other.duckdb");
        TestDatabase.Execute(other, "CREATE TABLE docs (id BIGINT, body VARCHAR)", "INSERT INTO docs SELECT i + 1000, 'other ' || i FROM range(200) t(i)");

        var error = await Assert.ThrowsAsync<EmbeddingJobException>(() => Run(other));

        Assert.StartsWith($"OutputTable: 'embedded' was not made from this input: {rows} of its {rows} ids are not in the input table 'docs' (e.g. '", error.Described(), StringComparison.Ordinal);
        Assert.True(error.CanOverwrite);
        Assert.Equal(rows, TestDatabase.CountRows(Output, "embedded"));
    }

    [Fact]
    public async Task Another_database_with_the_same_ids_but_other_texts_is_refused()
    {
        var first = TestDatabase.CreateDocs(_folder.Path, 200);
        var rows = await PartialRun(first);
        var other = _folder.File("other.duckdb");
        TestDatabase.Execute(other, "CREATE TABLE docs (id BIGINT, body VARCHAR)", "INSERT INTO docs SELECT i, 'another text ' || i FROM range(1, 201) t(i)");

        var error = await Assert.ThrowsAsync<EmbeddingJobException>(() => Run(other));

        Assert.Contains($"{rows} rows have another text in the input now (e.g. id '1')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rows_added_below_the_resume_point_since_the_last_run_are_embedded()
    {
        var input = _folder.File("input.duckdb");
        TestDatabase.Execute(input, "CREATE TABLE docs (id BIGINT, body VARCHAR)", "INSERT INTO docs SELECT i * 10, 'text ' || i FROM range(1, 201) t(i)");
        var rows = await PartialRun(input);
        // Ids 5, 15, 25 … sort among the rows already embedded; 2005 after them all.
        TestDatabase.Execute(input, "INSERT INTO docs SELECT i * 10 + 5, 'new text ' || i FROM range(0, 20) t(i)", "INSERT INTO docs VALUES (2005, 'last')");

        var summary = await Run(input);

        Assert.Equal(rows, summary.RowsAlreadyPresent);
        Assert.Equal(221 - rows, summary.RowsWritten);
        ExactlyOnceTests.AssertEveryRowOnceWithItsVector(input, Output, 221);
    }

    [Fact]
    public async Task A_row_deleted_from_the_input_since_the_last_run_is_named()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 200);
        await PartialRun(input);
        var oneDone = (long)TestDatabase.Query(Output, "SELECT min(id) FROM embedded")[0][0]!;
        TestDatabase.Execute(input, $"DELETE FROM docs WHERE id = {oneDone}");

        var error = await Assert.ThrowsAsync<EmbeddingJobException>(() => Run(input));

        Assert.Contains($"1 of its", error.Message, StringComparison.Ordinal);
        Assert.Contains($"(e.g. '{oneDone}')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Overwrite_starts_over_from_a_changed_input()
    {
        var first = TestDatabase.CreateDocs(_folder.Path, 200);
        await PartialRun(first);
        var other = _folder.File("other.duckdb");
        TestDatabase.Execute(other, "CREATE TABLE docs (id BIGINT, body VARCHAR)", "INSERT INTO docs SELECT i, 'another text ' || i FROM range(1, 51) t(i)");

        var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(other, Output) with { Overwrite = true, WindowSize = 40 },
            new HashEmbeddingGenerator(), NullLogger.Instance);

        Assert.Equal(0, summary.RowsAlreadyPresent);
        ExactlyOnceTests.AssertEveryRowOnceWithItsVector(other, Output, 50);
    }
}
