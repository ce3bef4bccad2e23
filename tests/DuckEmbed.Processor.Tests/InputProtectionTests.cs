using System.Security.Cryptography;
using DuckEmbed.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

/// <summary>
/// The input is never written, whatever path reaches it: links of every kind, the output's log and spill folder,
/// and <see cref="EmbeddingJob.Overwrite"/>. Each case is refused before anything is opened for writing.
/// </summary>
public sealed class InputProtectionTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static async Task<string> RefusedWithInputUnchanged(string input, string output, bool overwrite = false)
    {
        var before = SHA256.HashData(File.ReadAllBytes(input));
        var job = TestDatabase.Job(input, output) with { Overwrite = overwrite };
        var error = await Assert.ThrowsAsync<EmbeddingJobException>(() =>
            EmbeddingProcessor.ProcessAsync(job, new HashEmbeddingGenerator(), NullLogger.Instance));
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(input)));
        Assert.Equal(["docs"], TestDatabase.Query(input, "SELECT table_name FROM information_schema.tables").Select(r => (string)r[0]!));
        Assert.False(File.Exists(input + ".wal"));
        return error.Described();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_output_that_is_a_symbolic_link_to_the_input_is_refused_even_with_overwrite(bool overwrite)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 5);
        var link = _folder.File("output.duckdb");
        File.CreateSymbolicLink(link, input);
        var message = await RefusedWithInputUnchanged(input, link, overwrite);
        Assert.StartsWith($"OutputDatabasePath: The output is the input database ({link} and {input} are the same file)", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_output_that_is_a_relative_link_through_a_linked_folder_is_refused()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 5);
        Directory.CreateDirectory(_folder.File("sub"));
        Directory.CreateSymbolicLink(_folder.File("sub/up"), "..");
        File.CreateSymbolicLink(_folder.File("sub/out.duckdb"), "up/input.duckdb");
        await RefusedWithInputUnchanged(input, _folder.File("sub/out.duckdb"));
    }

    [Fact]
    public async Task An_output_that_is_a_hard_link_to_the_input_is_refused()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 5);
        var link = _folder.File("output.duckdb");
        using (var ln = System.Diagnostics.Process.Start("ln", [input, link]))
        {
            ln.WaitForExit();
            Assert.Equal(0, ln.ExitCode);
        }
        await RefusedWithInputUnchanged(input, link, overwrite: true);
    }

    [Fact]
    public async Task An_input_that_is_a_link_to_the_output_path_is_refused()
    {
        var real = TestDatabase.CreateDocs(_folder.Path, 5);
        var input = _folder.File("linked-input.duckdb");
        File.CreateSymbolicLink(input, real);
        await RefusedWithInputUnchanged(input, real);
    }

    [Fact]
    public async Task An_output_whose_write_ahead_log_would_be_the_input_is_refused()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 5);
        var output = _folder.File("output.duckdb");
        File.CreateSymbolicLink(output + ".wal", input);
        var message = await RefusedWithInputUnchanged(input, output);
        Assert.Contains($"{output}.wal, which the run would write, is the same file as {input}", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_output_whose_log_links_to_where_the_inputs_log_would_be_is_refused()
    {
        // A dangling link: writing the output's log would create the input's, which DuckDB replays into the input.
        var input = TestDatabase.CreateDocs(_folder.Path, 5);
        var output = _folder.File("output.duckdb");
        File.CreateSymbolicLink(output + ".wal", input + ".wal");
        var message = await RefusedWithInputUnchanged(input, output);
        Assert.Contains($"is the same file as {input}.wal", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a,b\n1,2\n", "its first bytes are not DuckDB's")]
    [InlineData("SQLite format 3\0rest of the header", "it is an SQLite database")]
    public async Task An_existing_output_file_that_is_not_a_duckdb_database_is_refused_and_left_alone(string content, string kind)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 5);
        var output = _folder.File("output.csv");
        File.WriteAllText(output, content);
        var message = await RefusedWithInputUnchanged(input, output);
        Assert.Equal($"OutputDatabasePath: {output} exists and is not a DuckDB database ({kind}); DuckEmbed never overwrites other files. Choose a new file name.", message);
        Assert.Equal(content, File.ReadAllText(output));
    }

    [Theory]
    [InlineData(":memory:")]
    [InlineData(":memory:scratch")]
    [InlineData("md:my_database")]
    [InlineData("s3://bucket/out.duckdb")]
    public async Task An_output_that_duckdb_would_not_keep_in_a_local_file_is_refused(string output)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 5);
        var message = await RefusedWithInputUnchanged(input, output);
        Assert.StartsWith($"OutputDatabasePath: '{output}' is not a file", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_output_that_is_a_folder_is_refused()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 5);
        Directory.CreateDirectory(_folder.File("out.duckdb"));
        Assert.EndsWith("is a folder, not a DuckDB database file.", await RefusedWithInputUnchanged(input, _folder.File("out.duckdb")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Paths_with_semicolons_and_quotes_are_paths()
    {
        var folder = _folder.File("a;b 'c'=d");
        Directory.CreateDirectory(folder);
        var input = TestDatabase.CreateDocs(folder, 20);
        var output = Path.Combine(folder, "out;x='y'.duckdb");

        var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output), new HashEmbeddingGenerator(), NullLogger.Instance);

        Assert.Equal(20, summary.RowsWritten);
        ExactlyOnceTests.AssertEveryRowOnceWithItsVector(input, output, 20);
    }

    [Fact]
    public async Task An_sqlite_input_is_named_as_sqlite_without_trying_to_load_an_extension()
    {
        var input = _folder.File("input.db");
        File.WriteAllText(input, "SQLite format 3\0rest of the header");
        var error = await Assert.ThrowsAsync<EmbeddingJobException>(() =>
            EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, _folder.File("o.duckdb")), new HashEmbeddingGenerator(), NullLogger.Instance));
        Assert.Equal($"InputDatabasePath: {input} is not a DuckDB database (it is an SQLite database). The input must be a .duckdb file.", error.Described());
    }
}
