using DuckEmbed.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

/// <summary>Mistakes a user can make get one <see cref="EmbeddingJobException"/> naming the setting and the fix.</summary>
public sealed class JobErrorTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static async Task<string> ErrorOf(EmbeddingJob job) => (await SettingErrorOf(job)).Described();

    private static Task<EmbeddingJobException> SettingErrorOf(EmbeddingJob job) =>
        Assert.ThrowsAsync<EmbeddingJobException>(() => EmbeddingProcessor.ProcessAsync(job, new HashEmbeddingGenerator(), NullLogger.Instance));

    private string Docs(params string[] statements)
    {
        var input = _folder.File("input.duckdb");
        TestDatabase.Execute(input, statements);
        return input;
    }

    [Fact]
    public async Task A_missing_table_is_named_with_the_close_names()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 3);
        var message = await ErrorOf(TestDatabase.Job(input, _folder.File("o.duckdb"), table: "doc"));
        Assert.Contains("InputTable: 'doc' is not a table of the input database;", message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'docs'", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_column_is_named_with_the_close_names()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 3);
        var message = await ErrorOf(TestDatabase.Job(input, _folder.File("o.duckdb"), text: "bdy"));
        Assert.Contains("TextColumn: 'bdy' is not a column of docs; did you mean 'body'", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Duplicate_ids_are_refused_before_anything_is_written_with_a_count_and_examples()
    {
        var input = Docs("CREATE TABLE docs (id INTEGER, body VARCHAR)", "INSERT INTO docs VALUES (1,'a'),(2,'b'),(2,'c'),(3,'d'),(3,'e'),(3,'f')");
        var output = _folder.File("o.duckdb");
        var message = await ErrorOf(TestDatabase.Job(input, output));
        Assert.Contains("is not unique: 3 rows repeat an id", message, StringComparison.Ordinal);
        Assert.Contains("'3' ×3", message, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task Null_ids_are_refused_with_a_count()
    {
        var input = Docs("CREATE TABLE docs (id INTEGER, body VARCHAR)", "INSERT INTO docs VALUES (1,'a'),(NULL,'b')");
        Assert.Contains("is NULL in 1 of 2 rows", await ErrorOf(TestDatabase.Job(input, _folder.File("o.duckdb"))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_text_column_that_is_not_text_is_refused()
    {
        var input = Docs("CREATE TABLE docs (id INTEGER, body INTEGER)", "INSERT INTO docs VALUES (1, 5)");
        Assert.Contains("TextColumn: 'body' is INTEGER, not VARCHAR", await ErrorOf(TestDatabase.Job(input, _folder.File("o.duckdb"))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_output_path_may_not_be_the_input_path()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 3);
        Assert.Contains("OutputDatabasePath: The output is the input database", await ErrorOf(TestDatabase.Job(input, input)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_input_file_is_named()
    {
        Assert.Contains("InputDatabasePath: ", await ErrorOf(TestDatabase.Job(_folder.File("nope.duckdb"), _folder.File("o.duckdb"))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_output_table_with_other_columns_is_refused()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 3);
        var output = _folder.File("o.duckdb");
        TestDatabase.Execute(output, "CREATE TABLE embedded (id BIGINT, body VARCHAR, vector DOUBLE[])");
        Assert.Contains("already exists", await ErrorOf(TestDatabase.Job(input, output)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_input_file_that_is_not_a_duckdb_database_is_named()
    {
        var input = _folder.File("notes.duckdb");
        File.WriteAllText(input, "these are not the bytes of a database");
        var message = await ErrorOf(TestDatabase.Job(input, _folder.File("o.duckdb")));
        Assert.Equal($"InputDatabasePath: {input} is not a DuckDB database (its first bytes are not DuckDB's). The input must be a .duckdb file.", message);
    }

    [Fact]
    public async Task An_output_folder_that_does_not_exist_is_named()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 3);
        Assert.Contains("OutputDatabasePath: The folder", await ErrorOf(TestDatabase.Job(input, _folder.File("missing/o.duckdb"))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_output_folder_that_cannot_be_written_is_named()
    {
        // /sys refuses new files even to root, which runs these tests in CI.
        var input = TestDatabase.CreateDocs(_folder.Path, 3);
        Assert.StartsWith("OutputDatabasePath: /sys/o.duckdb cannot be opened or created", await ErrorOf(TestDatabase.Job(input, "/sys/o.duckdb")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_output_table_may_not_take_the_name_of_duckembeds_record()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 3);
        var job = TestDatabase.Job(input, _folder.File("o.duckdb")) with { OutputTable = "DuckEmbed_Metadata" };
        Assert.Contains("OutputTable: The output table may not be 'duckembed_metadata'", await ErrorOf(job), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(EmbeddingJob.MaxWriters + 1)]
    public async Task A_number_of_writers_outside_1_to_16_is_refused_as_the_writers_setting(int writers)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 3);
        var error = await SettingErrorOf(TestDatabase.Job(input, _folder.File("o.duckdb")) with { Writers = writers });
        Assert.Equal(JobSetting.Writers, error.Setting);
        Assert.Equal($"The number of writers must be from 1 to 16, not {writers}.", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(EmbeddingJob.MaxGeneratorCalls + 1)]
    public async Task A_number_of_generator_calls_outside_1_to_8_is_refused_as_that_setting(int calls)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 3);
        var error = await SettingErrorOf(TestDatabase.Job(input, _folder.File("o.duckdb")) with { GeneratorCalls = calls });
        Assert.Equal(JobSetting.GeneratorCalls, error.Setting);
        Assert.Equal($"The number of windows with the generator at once must be from 1 to 8, not {calls}.", error.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(EmbeddingJob.MaxWindowSize + 1)]
    [InlineData(int.MaxValue)]
    public async Task A_window_size_below_one_or_above_the_largest_is_refused_as_the_window_size_setting(int windowSize)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 3);
        var error = await SettingErrorOf(TestDatabase.Job(input, _folder.File("o.duckdb")) with { WindowSize = windowSize });
        Assert.Equal(JobSetting.WindowSize, error.Setting);
        Assert.StartsWith($"The window size must be from 1 to 1,048,576 rows, not {windowSize:N0}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_input_table_succeeds_with_zero_rows()
    {
        var input = Docs("CREATE TABLE docs (id INTEGER, body VARCHAR)");
        var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, _folder.File("o.duckdb")), new HashEmbeddingGenerator(), NullLogger.Instance);
        Assert.Equal(0, summary.RowsWritten);
        Assert.Equal(0, TestDatabase.CountRows(_folder.File("o.duckdb"), "embedded"));
    }

    [Fact]
    public async Task A_memory_limit_that_is_not_a_size_is_named()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 3);
        var job = TestDatabase.Job(input, _folder.File("o.duckdb")) with { DuckDbMemoryLimit = "lots" };
        Assert.Equal("DuckDbMemoryLimit: The DuckDB memory limit must be a size such as 256MB or 2GB, not 'lots'.", await ErrorOf(job));
    }

    [Fact]
    public async Task A_view_that_cannot_be_read_is_named_as_the_input_table()
    {
        var input = Docs("CREATE TABLE base (id INTEGER, body VARCHAR)", "CREATE VIEW docs AS SELECT id, body FROM base", "DROP TABLE base");
        var message = await ErrorOf(TestDatabase.Job(input, _folder.File("o.duckdb")));
        Assert.StartsWith("InputTable: 'docs' cannot be read: ", message, StringComparison.Ordinal);
        Assert.False(File.Exists(_folder.File("o.duckdb")));
    }

    [Fact]
    public async Task A_view_is_read_like_a_table()
    {
        var input = Docs("CREATE TABLE base (id INTEGER, body VARCHAR)", "INSERT INTO base SELECT i, 'text ' || i FROM range(30) t(i)",
            "CREATE VIEW docs AS SELECT id, body FROM base WHERE id % 2 = 0");
        var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, _folder.File("o.duckdb")), new HashEmbeddingGenerator(), NullLogger.Instance);
        Assert.Equal(15, summary.RowsWritten);
    }

    [Theory]
    [InlineData("id", "id column")]
    [InlineData("ID", "id column")]
    [InlineData("Body", "text column")]
    public async Task A_vector_column_named_like_the_id_or_text_column_is_refused(string vectorColumn, string column)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 3);
        var message = await ErrorOf(TestDatabase.Job(input, _folder.File("o.duckdb")) with { VectorColumn = vectorColumn });
        Assert.StartsWith($"VectorColumn: '{vectorColumn}' is also the {column}", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_output_table_named_in_another_case_is_the_same_table_and_resumes()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 100);
        var output = _folder.File("o.duckdb");
        await ProcessorRuns.RunCancelledAtCallAsync(TestDatabase.Job(input, output), windowSize: 40, stopAtCall: 3);
        var partial = TestDatabase.CountRows(output, "embedded");

        var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { OutputTable = "EMBEDDED", WindowSize = 40 },
            new HashEmbeddingGenerator(), NullLogger.Instance);

        Assert.Equal(partial, summary.RowsAlreadyPresent);
        ExactlyOnceTests.AssertEveryRowOnceWithItsVector(input, output, 100);
    }
}
