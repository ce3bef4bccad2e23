using DuckEmbed.Processor.Tests;
using DuckEmbed.Tests;

namespace DuckEmbed.Cli.Tests;

/// <summary><c>embed sync</c> as a person runs it the day after the table changed.</summary>
public sealed class SyncCommandTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void After_an_edit_a_delete_and_an_insert_status_and_the_run_point_to_sync_and_sync_says_what_it_did_and_verifies()
    {
        var input = _folder.File("input.duckdb");
        CorpusInput.WriteFirstLines(input, 300);
        var config = _folder.File("config.json");
        File.WriteAllText(config, """
            { "input_db_path": "input.duckdb", "output_db_path": "output.duckdb", "input_table": "texts",
              "id_column": "id", "text_column": "text", "output_table": "embedded" }
            """);
        var (firstExit, _, firstError) = CliProcess.Run(config);
        Assert.True(firstExit == 0, firstError);
        var ids = TestDatabase.Query(input, "SELECT id FROM texts ORDER BY id").Select(r => (long)r[0]!).ToList();
        TestDatabase.Execute(input,
            $"UPDATE texts SET text = text || ' (edited)' WHERE id IN ({ids[3]}, {ids[4]}, {ids[5]})",
            $"DELETE FROM texts WHERE id IN ({ids[10]}, {ids[11]})",
            "INSERT INTO texts VALUES (900000001, 'a package added today'), (900000002, 'another one')");

        var (runExit, _, runError) = CliProcess.Run(config);
        Assert.Equal(1, runExit);
        Assert.Contains("2 of its 300 ids are not in the input table 'texts'", runError, StringComparison.Ordinal);
        Assert.Contains("sync it (embed sync)", runError, StringComparison.Ordinal);

        var (statusExit, statusOut, _) = CliProcess.RunCommand(config, "status");
        Assert.Equal(0, statusExit);
        Assert.Contains("the input changed since: 3 rows have another text, 2 ids are gone, 2 are new — embed sync brings the output up to date", statusOut, StringComparison.Ordinal);

        var (dryExit, dryOut, dryError) = CliProcess.RunCommand(config, "sync", "--dry-run");
        Assert.True(dryExit == 0, dryError);
        Assert.Contains("unchanged       295", dryOut, StringComparison.Ordinal);
        Assert.Contains("to add          2", dryOut, StringComparison.Ordinal);
        Assert.Contains("to change       3 ", dryOut, StringComparison.Ordinal);
        Assert.Contains("to delete       2 ", dryOut, StringComparison.Ordinal);

        var (syncExit, syncOut, syncError) = CliProcess.RunCommand(config, "sync");
        Assert.True(syncExit == 0, syncError);
        Assert.Contains("Done: 5 rows written to embedded", syncOut, StringComparison.Ordinal);
        Assert.Matches(@"added +2 .*\n.*changed +3 .*\n.*deleted +2 .*\n.*unchanged +295 ", syncOut);

        var (verifyExit, verifyOut, verifyError) = CliProcess.RunCommand(config, "verify", "--sample", "300");
        Assert.True(verifyExit == 0, verifyOut + verifyError);
        Assert.Equal("a package added today", TestDatabase.Query(_folder.File("output.duckdb"), "SELECT text FROM embedded WHERE id = 900000001")[0][0]);
    }
}
