using DuckEmbed.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

/// <summary>
/// A sync brings an output up to date with an input that changed: new ids embedded, changed texts embedded again
/// (the new row replacing the old in one commit), ids gone deleted, every other row left as it was; it ends in the
/// same table as a run from the start on the changed input, having embedded only what changed.
/// </summary>
public sealed class SyncTests : IDisposable
{
    private const int Rows = 600;
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Output => _folder.File("out.duckdb");

    private static EmbeddingJob Job(string input, string output) => TestDatabase.Job(input, output) with { WindowSize = 40 };

    private static Task<EmbeddingRunSummary> Sync(string input, string output, HashEmbeddingGenerator? generator = null, CancellationToken stop = default) =>
        EmbeddingProcessor.ProcessAsync(Job(input, output) with { Sync = true }, generator ?? new HashEmbeddingGenerator(), NullLogger.Instance, cancellationToken: stop);

    public static TheoryData<string, string[], long, long, long> Changes => new()
    {
        // name, statements on the input, then the rows the sync adds, replaces, deletes.
        { "add", ["INSERT INTO docs SELECT i, 'added ' || i FROM range(10001, 10031) t(i)", "INSERT INTO docs VALUES (0, 'first')"], 31, 0, 0 },
        { "edit", ["UPDATE docs SET body = body || ' edited' WHERE id % 20 = 3"], 0, 30, 0 },
        { "null text", ["UPDATE docs SET body = NULL WHERE id IN (5, 6)", "UPDATE docs SET body = 'was null' WHERE id = 6"], 0, 2, 0 },
        { "delete", ["DELETE FROM docs WHERE id % 25 = 1 OR id > 590"], 0, 0, 34 },
        { "mixed", ["DELETE FROM docs WHERE id % 50 = 7", "UPDATE docs SET body = 'changed ' || id WHERE id % 40 = 9", "INSERT INTO docs SELECT i, 'new ' || i FROM range(700, 720) t(i)"], 20, 15, 12 },
    };

    [Theory]
    [MemberData(nameof(Changes))]
    public async Task A_sync_after_a_change_ends_equal_to_a_run_from_the_start_having_embedded_only_what_changed(string change, string[] statements, long added, long replaced, long deleted)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, Rows);
        await EmbeddingProcessor.ProcessAsync(Job(input, Output), new HashEmbeddingGenerator(), NullLogger.Instance);
        TestDatabase.Execute(input, statements);
        var inputRows = TestDatabase.CountRows(input, "docs");

        var generator = new HashEmbeddingGenerator();
        var summary = await Sync(input, Output, generator);

        Assert.True((added, replaced, deleted) == (summary.RowsAdded, summary.RowsReplaced, summary.RowsDeleted),
            $"{change}: added {summary.RowsAdded}, replaced {summary.RowsReplaced}, deleted {summary.RowsDeleted}");
        Assert.Equal(inputRows - added - replaced, summary.RowsAlreadyPresent);
        // Only the changed rows reach the model (a NULL text is not embedded).
        var nullTexts = (long)TestDatabase.Query(input, "SELECT count(*) FROM docs WHERE body IS NULL")[0][0]!;
        Assert.Equal(added + replaced - nullTexts, generator.Texts);
        var fresh = _folder.File("fresh.duckdb");
        await EmbeddingProcessor.ProcessAsync(Job(input, fresh), new HashEmbeddingGenerator(), NullLogger.Instance);
        AssertSameTable(fresh, Output);

        var again = await Sync(input, Output);
        Assert.Equal((0L, 0L, 0L, inputRows), (again.RowsWritten, again.RowsReplaced, again.RowsDeleted, again.RowsAlreadyPresent));
    }

    [Fact]
    public async Task Asked_to_keep_them_a_sync_moves_the_rows_of_ids_gone_into_the_deleted_table_with_the_time()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 200);
        await EmbeddingProcessor.ProcessAsync(Job(input, Output), new HashEmbeddingGenerator(), NullLogger.Instance);
        var before = TestDatabase.Query(Output, "SELECT id, body, vector FROM embedded WHERE id % 40 = 1 ORDER BY id");
        TestDatabase.Execute(input, "DELETE FROM docs WHERE id % 40 = 1", "UPDATE docs SET body = 'edited' WHERE id = 2");

        var summary = await EmbeddingProcessor.ProcessAsync(Job(input, Output) with { Sync = true, KeepDeletedRows = true }, new HashEmbeddingGenerator(), NullLogger.Instance);

        Assert.Equal((5L, 1L), (summary.RowsDeleted, summary.RowsReplaced));
        var kept = TestDatabase.Query(Output, "SELECT id, body, vector, deleted_at IS NOT NULL FROM embedded_deleted ORDER BY id");
        Assert.Equal(before.Select(r => r[0]), kept.Select(r => r[0]));
        Assert.Equal(before.Select(r => r[2]), kept.Select(r => r[2]));
        Assert.All(kept, r => Assert.Equal(true, r[3]));
        var fresh = _folder.File("fresh.duckdb");
        await EmbeddingProcessor.ProcessAsync(Job(input, fresh), new HashEmbeddingGenerator(), NullLogger.Instance);
        AssertSameTable(fresh, Output);

        // Later syncs add to it.
        TestDatabase.Execute(input, "DELETE FROM docs WHERE id = 3");
        await EmbeddingProcessor.ProcessAsync(Job(input, Output) with { Sync = true, KeepDeletedRows = true }, new HashEmbeddingGenerator(), NullLogger.Instance);
        Assert.Equal(6L, TestDatabase.CountRows(Output, "embedded_deleted"));
    }

    [Fact]
    public async Task A_plain_run_on_a_changed_input_is_refused_pointing_to_sync()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 100);
        await EmbeddingProcessor.ProcessAsync(Job(input, Output), new HashEmbeddingGenerator(), NullLogger.Instance);
        TestDatabase.Execute(input, "UPDATE docs SET body = 'edited' WHERE id = 7");

        var error = await Assert.ThrowsAsync<EmbeddingJobException>(() => EmbeddingProcessor.ProcessAsync(Job(input, Output), new HashEmbeddingGenerator(), NullLogger.Instance));

        Assert.Contains("1 rows have another text in the input now (e.g. id '7')", error.Message, StringComparison.Ordinal);
        Assert.Contains("sync it (embed sync)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sync_stopped_at_any_window_keeps_each_row_once_with_the_vector_of_its_stored_text_and_a_rerun_completes_it()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, Rows);
        var before = _folder.File("before.duckdb");
        await EmbeddingProcessor.ProcessAsync(Job(input, before), new HashEmbeddingGenerator(), NullLogger.Instance);
        TestDatabase.Execute(input, "UPDATE docs SET body = 'edited ' || id WHERE id % 3 = 0", "DELETE FROM docs WHERE id % 7 = 0", "INSERT INTO docs SELECT i, 'new ' || i FROM range(1000, 1100) t(i)");
        var fresh = _folder.File("fresh.duckdb");
        await EmbeddingProcessor.ProcessAsync(Job(input, fresh), new HashEmbeddingGenerator(), NullLogger.Instance);
        var inputIds = TestDatabase.Query(input, "SELECT id FROM docs").Select(r => (long)r[0]!).ToHashSet();

        foreach (var stopAtCall in new[] { 1, 2, 3, 4, 6 })
        {
            File.Copy(before, Output, overwrite: true);
            using var stop = new CancellationTokenSource();
            var stopping = new HashEmbeddingGenerator { BeforeCall = call => { if (call == stopAtCall) { stop.Cancel(); } } };
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Sync(input, Output, stopping, stop.Token));

            // Stopped: every id once, each row's vector its own stored text's (old or new, never a mix), and no id the
            // input lost; the ids of the input not there yet are the rows still to add.
            var rows = TestDatabase.Query(Output, "SELECT id, body, vector FROM embedded");
            Assert.Equal(rows.Count, rows.Select(r => r[0]).Distinct().Count());
            Assert.All(rows, r => Assert.Equal(HashEmbeddingGenerator.VectorOf((string)r[1]!), ((List<float>)r[2]!).ToArray()));
            Assert.All(rows, r => Assert.Contains((long)r[0]!, inputIds));

            await Sync(input, Output);
            AssertSameTable(fresh, Output);
        }
    }

    [Fact]
    public async Task A_sync_refuses_an_output_made_with_another_model_or_precision_and_leaves_it_as_it_was()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 100);
        await EmbeddingProcessor.ProcessAsync(Job(input, Output), new HashEmbeddingGenerator { Settings = new Dictionary<string, string> { ["model_sha256"] = "aaa" } }, NullLogger.Instance);
        TestDatabase.Execute(input, "UPDATE docs SET body = 'edited' WHERE id = 7", "DELETE FROM docs WHERE id = 8");

        var otherModel = await Assert.ThrowsAsync<EmbeddingJobException>(() =>
            Sync(input, Output, new HashEmbeddingGenerator { Settings = new Dictionary<string, string> { ["model_sha256"] = "bbb" } }));
        var otherPrecision = await Assert.ThrowsAsync<EmbeddingJobException>(() => EmbeddingProcessor.ProcessAsync(
            Job(input, Output) with { Sync = true, VectorPrecision = VectorPrecision.Int8 },
            new HashEmbeddingGenerator { Settings = new Dictionary<string, string> { ["model_sha256"] = "aaa" } }, NullLogger.Instance));

        Assert.Contains("model_sha256", otherModel.Message, StringComparison.Ordinal);
        Assert.Contains("vector_precision", otherPrecision.Message, StringComparison.Ordinal);
        Assert.True(otherModel.CanOverwrite);
        Assert.Equal(100L, TestDatabase.CountRows(Output, "embedded"));
        Assert.StartsWith("text number 7", (string)TestDatabase.Query(Output, "SELECT body FROM embedded WHERE id = 7")[0][0]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sync_refuses_an_output_none_of_whose_ids_the_input_has_instead_of_deleting_every_row()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 100);
        await EmbeddingProcessor.ProcessAsync(Job(input, Output), new HashEmbeddingGenerator(), NullLogger.Instance);
        var other = _folder.File("other.duckdb");
        TestDatabase.Execute(other, "CREATE TABLE docs (id BIGINT, body VARCHAR)", "INSERT INTO docs SELECT i + 1000, 'other ' || i FROM range(50) t(i)");

        var error = await Assert.ThrowsAsync<EmbeddingJobException>(() => Sync(other, Output));

        Assert.StartsWith("'embedded' was not made from this input: none of its 100 ids is in the input table 'docs' (e.g. '", error.Message, StringComparison.Ordinal);
        Assert.True(error.CanOverwrite);
        Assert.Equal(100L, TestDatabase.CountRows(Output, "embedded"));
    }

    [Fact]
    public async Task An_int8_sync_quantizes_the_changed_rows_with_the_ranges_the_table_was_made_with()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 300);
        var job = Job(input, Output) with { VectorPrecision = VectorPrecision.Int8 };
        await EmbeddingProcessor.ProcessAsync(job, new HashEmbeddingGenerator(), NullLogger.Instance);
        const string Ranges = "SELECT key, value FROM duckembed_metadata WHERE key LIKE 'int8_range%' ORDER BY key";
        var ranges = TestDatabase.Query(Output, Ranges).Select(r => $"{r[0]}={r[1]}").ToList();
        // Texts far outside the calibration sample: a range found again would differ.
        TestDatabase.Execute(input, "UPDATE docs SET body = 'quite another text ' || id WHERE id <= 150");

        await EmbeddingProcessor.ProcessAsync(job with { Sync = true }, new HashEmbeddingGenerator(), NullLogger.Instance);

        Assert.Equal(ranges, TestDatabase.Query(Output, Ranges).Select(r => $"{r[0]}={r[1]}").ToList());
        var report = await EmbeddingVerifier.VerifyAsync(job, new HashEmbeddingGenerator(), 64);
        Assert.True(report.Passed, string.Join("; ", report.Problems));
    }

    [Fact]
    public async Task Synced_shards_merged_with_sync_end_in_the_same_table_as_one_sync()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 400);
        EmbeddingJob Shard(int index) => Job(input, new ShardSelection(index, 3).PathFor(Output)) with { Shard = new ShardSelection(index, 3) };
        for (var i = 0; i < 3; i++)
        {
            await EmbeddingProcessor.ProcessAsync(Shard(i), new HashEmbeddingGenerator(), NullLogger.Instance);
        }
        ShardMerger.Merge(Job(input, Output), 3, NullLogger.Instance);
        TestDatabase.Execute(input, "UPDATE docs SET body = 'edited ' || id WHERE id % 9 = 0", "DELETE FROM docs WHERE id % 11 = 0", "INSERT INTO docs SELECT i, 'new ' || i FROM range(500, 540) t(i)");

        var refused = Assert.Throws<EmbeddingJobException>(() => ShardMerger.Merge(Job(input, Output), 3, NullLogger.Instance));
        Assert.Contains("The shards cannot be merged", refused.Message, StringComparison.Ordinal);
        for (var i = 0; i < 3; i++)
        {
            await EmbeddingProcessor.ProcessAsync(Shard(i) with { Sync = true }, new HashEmbeddingGenerator(), NullLogger.Instance);
        }
        var plain = Assert.Throws<EmbeddingJobException>(() => ShardMerger.Merge(Job(input, Output), 3, NullLogger.Instance));
        Assert.Contains("merge them with sync", plain.Message, StringComparison.Ordinal);
        ShardMerger.Merge(Job(input, Output) with { Sync = true }, 3, NullLogger.Instance);

        var fresh = _folder.File("fresh.duckdb");
        await EmbeddingProcessor.ProcessAsync(Job(input, fresh), new HashEmbeddingGenerator(), NullLogger.Instance);
        AssertSameTable(fresh, Output);
    }

    [Fact]
    public async Task A_dry_run_of_a_sync_counts_what_it_would_add_replace_and_delete_and_writes_nothing()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 200);
        await EmbeddingProcessor.ProcessAsync(Job(input, Output), new HashEmbeddingGenerator(), NullLogger.Instance);
        TestDatabase.Execute(input, "UPDATE docs SET body = 'edited' WHERE id <= 12", "DELETE FROM docs WHERE id > 195", "INSERT INTO docs VALUES (1000, 'new')");
        var bytes = File.ReadAllBytes(Output);

        var plan = await EmbeddingPlan.MakeAsync(Job(input, Output) with { Sync = true }, new HashEmbeddingGenerator(), sampleSize: 8);

        Assert.Equal((183L, 13L, 12L, 5L), (plan.RowsPresent, plan.RowsToEmbed, plan.RowsToReplace, plan.RowsToDelete));
        Assert.Equal(bytes, File.ReadAllBytes(Output));
    }

    private static void AssertSameTable(string expected, string actual)
    {
        const string Sql = "SELECT id, body, vector FROM embedded ORDER BY id";
        var want = TestDatabase.Query(expected, Sql);
        var got = TestDatabase.Query(actual, Sql);
        Assert.Equal(want.Select(r => r[0]), got.Select(r => r[0]));
        Assert.Equal(want.Select(r => r[1]), got.Select(r => r[1]));
        for (var i = 0; i < want.Count; i++)
        {
            Assert.Equal((List<float>?)want[i][2], (List<float>?)got[i][2]);
        }
    }
}
