using DuckEmbed.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

/// <summary>
/// Every DuckDB type as an id: copied byte-for-byte through a partial run and a resume (compared with the input by
/// SQL EXCEPT both ways), or refused before the output table exists.
/// </summary>
public sealed class IdTypeTests : IDisposable
{
    private const int Rows = 60;
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    // {0} is the row number 1..60; every expression gives 60 distinct values, with the extremes of the type.
    public static TheoryData<string, string> CopiedTypes => new()
    {
        { "TINYINT", "(CASE {0} WHEN 1 THEN -128 WHEN 2 THEN 127 ELSE {0} - 60 END)" },
        { "SMALLINT", "(CASE {0} WHEN 1 THEN -32768 WHEN 2 THEN 32767 ELSE {0} * 7 END)" },
        { "INTEGER", "(CASE {0} WHEN 1 THEN -2147483648 WHEN 2 THEN 2147483647 ELSE {0} * 3 - 40 END)" },
        { "BIGINT", "(CASE {0} WHEN 1 THEN -9223372036854775808 WHEN 2 THEN 9223372036854775807 ELSE {0} * 10000000007 END)" },
        { "HUGEINT", "(CASE {0} WHEN 1 THEN -170141183460469231731687303715884105728 WHEN 2 THEN 170141183460469231731687303715884105727 ELSE {0}::HUGEINT * 100000000000000000007 END)" },
        { "UTINYINT", "(CASE {0} WHEN 1 THEN 255 ELSE {0} END)" },
        { "USMALLINT", "(CASE {0} WHEN 1 THEN 65535 ELSE {0} END)" },
        { "UINTEGER", "(CASE {0} WHEN 1 THEN 4294967295 ELSE {0} END)" },
        { "UBIGINT", "(CASE {0} WHEN 1 THEN 18446744073709551615 ELSE {0} END)" },
        { "UHUGEINT", "(CASE {0} WHEN 1 THEN '340282366920938463463374607431768211455'::UHUGEINT ELSE {0}::UHUGEINT * 100000000000000000000007 END)" },
        { "DECIMAL(4,1)", "(CASE {0} WHEN 1 THEN -999.9 WHEN 2 THEN 999.9 ELSE {0} / 10 END)" },
        { "DECIMAL(18,6)", "(CASE {0} WHEN 1 THEN -999999999999.999999 ELSE {0} + 0.000001 * {0} END)" },
        { "DECIMAL(28,10)", "(CASE {0} WHEN 1 THEN -999999999999999999.9999999999 WHEN 2 THEN 999999999999999999.9999999999 ELSE {0} * 1.0000000001 END)" },
        { "DECIMAL(38,10)", "(CASE {0} WHEN 1 THEN -999999999999999999.9999999999 ELSE {0} * 1.0000000003 END)" },
        { "DECIMAL(38,0)", "(CASE {0} WHEN 1 THEN 9999999999999999999999999999 ELSE {0} END)" },
        { "FLOAT", "(CASE {0} WHEN 1 THEN 'nan'::FLOAT WHEN 2 THEN '-inf'::FLOAT WHEN 3 THEN 3.4028235e38 WHEN 4 THEN 1.0e-45 ELSE {0} / 7 END)" },
        { "DOUBLE", "(CASE {0} WHEN 1 THEN 'nan'::DOUBLE WHEN 2 THEN 'inf'::DOUBLE WHEN 3 THEN 1.7976931348623157e308 WHEN 4 THEN 5e-324 ELSE {0} / 7 END)" },
        { "DATE", "(CASE {0} WHEN 1 THEN DATE '0001-01-01' WHEN 2 THEN DATE '9999-12-31' ELSE DATE '2024-02-29' + {0}::INTEGER END)" },
        { "TIMESTAMP", "(CASE {0} WHEN 1 THEN TIMESTAMP '0001-01-01' WHEN 2 THEN TIMESTAMP '9999-12-31 23:59:59.999999' ELSE TIMESTAMP '2024-01-01 00:00:00.000001' + to_microseconds({0}) END)" },
        { "TIMESTAMP_S", "TIMESTAMP '2024-01-01' + to_seconds({0})" },
        { "TIMESTAMP_MS", "TIMESTAMP '2024-01-01' + to_milliseconds({0})" },
        { "TIMESTAMPTZ", "(CASE {0} WHEN 1 THEN TIMESTAMPTZ '2024-01-01 12:00:00.123456+05:30' ELSE TIMESTAMPTZ '1970-01-01 00:00:00+00' + to_microseconds({0} * 7919) END)" },
        { "TIME", "(CASE {0} WHEN 1 THEN TIME '00:00:00' WHEN 2 THEN TIME '23:59:59.999999' ELSE TIME '12:00:00' + to_microseconds({0}) END)" },
        { "UUID", "(CASE {0} WHEN 1 THEN '00000000-0000-0000-0000-000000000000'::UUID WHEN 2 THEN 'ffffffff-ffff-ffff-ffff-ffffffffffff'::UUID ELSE md5({0}::VARCHAR)::UUID END)" },
        { "VARCHAR", "(CASE {0} WHEN 1 THEN '' WHEN 2 THEN 'a' || chr(0) || 'b' ELSE 'doc-' || {0} END)" },
        // Case-insensitive order puts 'B' between 'a' and 'c'; byte order puts it first. Resume must follow the input.
        { "VARCHAR COLLATE NOCASE", "(CASE WHEN {0} % 2 = 0 THEN 'B' ELSE 'a' END) || lpad({0}::VARCHAR, 3, '0')" },
        { "VARCHAR COLLATE NOACCENT", "(CASE {0} WHEN 1 THEN 'é' WHEN 2 THEN 'f' ELSE 'x' || {0} END)" },
        { "JSON", "json_object('n', {0})" },
        { "BLOB", "(CASE {0} WHEN 1 THEN '\\x00\\xFF'::BLOB ELSE ('b' || {0})::BLOB END)" },
        { "ENUM('it''s', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M', 'N', 'O', 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', '0', '1', '2', '3', '4', '5', '6', '7', '8')",
          "(CASE {0} WHEN 1 THEN 'it''s' ELSE substr('bcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012345678', {0} - 1, 1) END)" },
    };

    [Theory]
    [MemberData(nameof(CopiedTypes))]
    public async Task Ids_of_this_type_are_copied_exactly_through_a_partial_run_and_a_resume(string type, string idExpression)
    {
        var input = CreateInput(type, idExpression);
        var output = _folder.File("out.duckdb");
        await ProcessorRuns.RunCancelledAtCallAsync(TestDatabase.Job(input, output), windowSize: 16, stopAtCall: 4);
        var partial = TestDatabase.CountRows(output, "embedded");
        var logger = new RecordingLogger();
        var resumed = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 16 }, new HashEmbeddingGenerator(), logger);

        Assert.InRange(partial, 1, Rows - 1);
        Assert.Equal(partial, resumed.RowsAlreadyPresent);
        Assert.Equal(Rows - partial, resumed.RowsWritten);
        Assert.Equal((0L, 0L, (long)Rows, (long)Rows), CompareIds(input, output));
        // Every type but TIMESTAMPTZ (whose text depends on the session's time zone) takes DuckDB's parallel insert.
        Assert.Contains(type == "TIMESTAMPTZ" ? "Writing with 2 appenders" : "Writing through DuckDB's parallel insert, 2 threads", logger.Lines);
        foreach (var row in TestDatabase.Query(output, "SELECT body, vector FROM embedded"))
        {
            Assert.Equal(HashEmbeddingGenerator.VectorOf((string)row[0]!), ((List<float>)row[1]!).ToArray());
        }
    }

    // {0} as above; each holds values .NET cannot carry exactly.
    [Theory]
    [InlineData("DECIMAL(38,10)", "(CASE {0} WHEN 1 THEN 12345678901234567890.1234567891 ELSE {0} END)", "decimals of up to 28 digits")]
    [InlineData("DECIMAL(38,0)", "(CASE {0} WHEN 1 THEN 99999999999999999999999999999999999999 ELSE {0} END)", "decimals of up to 28 digits")]
    [InlineData("DATE", "(CASE {0} WHEN 1 THEN 'infinity'::DATE ELSE DATE '2024-01-01' + {0}::INTEGER END)", "year 1 to 9999")]
    [InlineData("DATE", "(CASE {0} WHEN 1 THEN DATE '10000-01-01' ELSE DATE '2024-01-01' + {0}::INTEGER END)", "year 1 to 9999")]
    [InlineData("TIMESTAMP", "(CASE {0} WHEN 1 THEN TIMESTAMP '290000-01-01' ELSE TIMESTAMP '2024-01-01' + to_seconds({0}) END)", "year 1 to 9999")]
    [InlineData("TIME", "(CASE {0} WHEN 1 THEN TIME '24:00:00' ELSE TIME '12:00:00' + to_seconds({0}) END)", "year 1 to 9999")]
    public async Task Ids_whose_values_cannot_be_copied_exactly_are_refused_before_the_output_exists(string type, string idExpression, string named)
    {
        var input = CreateInput(type, idExpression);
        var output = _folder.File("out.duckdb");
        var error = await Assert.ThrowsAsync<EmbeddingJobException>(() =>
            EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 16 }, new HashEmbeddingGenerator(), NullLogger.Instance));
        Assert.StartsWith($"IdColumn: 'id' is {type}, and 1 of its values", error.Described(), StringComparison.Ordinal);
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData("TIMESTAMP_NS", "TIMESTAMP_NS '2024-01-01 00:00:00.000000001' + to_seconds({0})")]
    [InlineData("TIMETZ", "TIMETZ '12:00:00+05:30' + to_seconds({0})")]
    [InlineData("INTERVAL", "to_months({0})")]
    [InlineData("BIT", "{0}::INTEGER::BIT")]
    [InlineData("INTEGER[]", "[{0}, {0} + 1]")]
    [InlineData("INTEGER[2]", "[{0}, {0} + 1]::INTEGER[2]")]
    [InlineData("STRUCT(a INTEGER)", "{{'a': {0}}}")]
    [InlineData("MAP(INTEGER, INTEGER)", "MAP {{{0}: 1}}")]
    [InlineData("UNION(a INTEGER, b VARCHAR)", "union_value(a := {0})")]
    public async Task Ids_of_a_type_that_cannot_be_copied_exactly_are_refused_naming_the_type(string type, string idExpression)
    {
        var input = CreateInput(type, idExpression);
        var output = _folder.File("out.duckdb");
        var error = await Assert.ThrowsAsync<EmbeddingJobException>(() =>
            EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 16 }, new HashEmbeddingGenerator(), NullLogger.Instance));
        Assert.StartsWith("IdColumn: 'id' is ", error.Described(), StringComparison.Ordinal);
        Assert.Contains("which DuckEmbed cannot copy exactly", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    private string CreateInput(string type, string idExpression)
    {
        var input = _folder.File("input.duckdb");
        var id = string.Format(System.Globalization.CultureInfo.InvariantCulture, idExpression, "i");
        TestDatabase.Execute(input, $"CREATE TABLE docs (id {type}, body VARCHAR)",
            $"INSERT INTO docs SELECT {id}, 'text ' || i FROM range(1, {Rows + 1}) t(i) ORDER BY hash(i)");
        Assert.Equal((long)Rows, TestDatabase.Query(input, "SELECT count(DISTINCT id) FROM docs")[0][0]);
        return input;
    }

    /// <summary>
    /// (input ids missing from the output, output ids not in the input, output rows, output rows whose text is the
    /// input's text for that id), compared by DuckDB.
    /// </summary>
    private static (long Missing, long Extra, long Rows, long SameText) CompareIds(string input, string output)
    {
        var row = TestDatabase.Query(output, $"""
            ATTACH '{input}' AS i (READ_ONLY);
            SELECT (SELECT count(*) FROM (SELECT id FROM i.docs EXCEPT SELECT id FROM embedded)),
                   (SELECT count(*) FROM (SELECT id FROM embedded EXCEPT SELECT id FROM i.docs)),
                   (SELECT count(*) FROM embedded),
                   (SELECT count(*) FROM embedded e JOIN i.docs d ON e.id = d.id AND e.body = d.body)
            """)[0];
        return ((long)row[0]!, (long)row[1]!, (long)row[2]!, (long)row[3]!);
    }
}
