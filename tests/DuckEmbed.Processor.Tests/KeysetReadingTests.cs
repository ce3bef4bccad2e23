using DuckEmbed.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

/// <summary>Reading in id order and resuming after the last id, for the id types users have.</summary>
public sealed class KeysetReadingTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData("INTEGER", "i * 3 - 400")]
    [InlineData("BIGINT", "i * 10000000007")]
    [InlineData("VARCHAR", "'doc-' || i")]
    [InlineData("UUID", "md5(i::VARCHAR)::UUID")]
    public async Task Resumes_after_the_last_id_for_every_id_type_with_gaps(string type, string idExpression)
    {
        var input = _folder.File("input.duckdb");
        TestDatabase.Execute(input, $"CREATE TABLE docs (id {type}, body VARCHAR)",
            $"INSERT INTO docs SELECT {idExpression}, 'text ' || i FROM range(1, 301) t(i) ORDER BY hash(i)");
        var output = _folder.File("out.duckdb");
        await ProcessorRuns.RunCancelledAtCallAsync(TestDatabase.Job(input, output), batchSize: 5, stopAtCall: 5);
        var partial = TestDatabase.CountRows(output, "embedded");
        var resumed = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output), new HashEmbeddingGenerator(), 5, NullLogger.Instance);

        Assert.InRange(partial, 1, 299);
        Assert.Equal(partial, resumed.RowsAlreadyPresent);
        ExactlyOnceTests.AssertEveryRowOnceWithItsVector(input, output, 300);
        Assert.Equal(type, TestDatabase.Query(output, "SELECT data_type FROM information_schema.columns WHERE table_name = 'embedded' AND column_name = 'id'")[0][0]);
    }

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

        var summary = await EmbeddingProcessor.ProcessAsync(job, new HashEmbeddingGenerator(), 2, NullLogger.Instance);

        Assert.Equal(3, summary.RowsWritten);
        Assert.Equal(0L, TestDatabase.CountRows(input, "keep"));
        var written = TestDatabase.Query(output, "SELECT \"Doc Id\", \"select\", \"My Vector\" FROM \"out \"\"put\"\".x\" ORDER BY 1");
        Assert.Equal([1, 2, 3], written.Select(r => (int)r[0]!));
    }
}
