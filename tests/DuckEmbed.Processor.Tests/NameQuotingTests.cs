using DuckEmbed.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

/// <summary>Names from the configuration are names, whatever they hold (id types: <see cref="IdTypeTests"/>).</summary>
public sealed class NameQuotingTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Names_with_spaces_quotes_dots_case_and_sql_are_used_as_names()
    {
        var input = _folder.File("input.duckdb");
        const string table = "my.docs \"v2\"; DROP TABLE keep; --";
        TestDatabase.Execute(input, "CREATE TABLE keep (x INTEGER)",
            """CREATE TABLE "my.docs ""v2""; DROP TABLE keep; --" ("Doc Id" INTEGER, "select" VARCHAR)""",
            """INSERT INTO "my.docs ""v2""; DROP TABLE keep; --" VALUES (1, 'a'), (2, 'b'), (3, 'c')""");
        var output = _folder.File("out.duckdb");
        var job = TestDatabase.Job(input, output, table, "Doc Id", "select") with { OutputTable = "out \"put\".x", VectorColumn = "My Vector" };

        var summary = await EmbeddingProcessor.ProcessAsync(job with { WindowSize = 16 }, new HashEmbeddingGenerator(), NullLogger.Instance);

        Assert.Equal(3, summary.RowsWritten);
        Assert.Equal(0L, TestDatabase.CountRows(input, "keep"));
        var written = TestDatabase.Query(output, "SELECT \"Doc Id\", \"select\", \"My Vector\" FROM \"out \"\"put\"\".x\" ORDER BY 1");
        Assert.Equal([1, 2, 3], written.Select(r => (int)r[0]!));
    }
}
