using System.Security.Cryptography;
using DuckEmbed.Processor.Tests;
using DuckEmbed.Tests;

namespace DuckEmbed.Cli.Tests;

/// <summary>
/// Cases from a new user's trial, through the real program: each is one line on stderr with exit code 1, and the
/// input is byte-for-byte unchanged.
/// </summary>
public sealed class UserMistakeTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Input => _folder.File("input.duckdb");

    private string WriteConfig(string output = "output.duckdb", string idType = "INTEGER", string idExpression = "i")
    {
        TestDatabase.Execute(Input, $"CREATE TABLE texts (id {idType}, text VARCHAR)",
            $"INSERT INTO texts SELECT {idExpression}, 'a short text number ' || i FROM range(1, 21) t(i)");
        var config = _folder.File("config.json");
        File.WriteAllText(config, $$"""
            { "input_db_path": "input.duckdb", "output_db_path": "{{output}}", "input_table": "texts",
              "id_column": "id", "text_column": "text", "output_table": "embedded" }
            """);
        return config;
    }

    private string ErrorLine(string config, IReadOnlyDictionary<string, string>? environment = null, params string[] arguments)
    {
        var before = SHA256.HashData(File.ReadAllBytes(Input));
        var (exitCode, _, stderr) = CliProcess.Run(config, environment, arguments);
        Assert.True(exitCode == 1, $"exit {exitCode}: {stderr}");
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(Input)));
        var error = Assert.Single(stderr.Split('\n'), line => line.StartsWith("error: ", StringComparison.Ordinal));
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        return error;
    }

    [Fact]
    public void An_output_linked_to_the_input_is_refused_even_with_overwrite()
    {
        var config = WriteConfig();
        File.CreateSymbolicLink(_folder.File("output.duckdb"), Input);
        Assert.StartsWith("error: output_db_path: The output is the input database", ErrorLine(config, null, "--overwrite"), StringComparison.Ordinal);
    }

    [Fact]
    public void An_existing_csv_output_is_refused_not_reported_as_done()
    {
        var config = WriteConfig(output: "output.csv");
        File.WriteAllText(_folder.File("output.csv"), "id,text\n1,a\n");
        Assert.Contains("exists and is not a DuckDB database", ErrorLine(config), StringComparison.Ordinal);
        Assert.Equal("id,text\n1,a\n", File.ReadAllText(_folder.File("output.csv")));
    }

    [Fact]
    public void A_batch_size_of_int_max_is_refused_by_name()
    {
        var config = WriteConfig();
        Assert.StartsWith("error: BATCH_SIZE 2147483647 is more than", ErrorLine(config, new Dictionary<string, string> { ["BATCH_SIZE"] = "2147483647" }), StringComparison.Ordinal);
    }

    [Fact]
    public void A_decimal_id_with_30_digits_is_refused_before_the_output_table_exists()
    {
        var config = WriteConfig(idType: "DECIMAL(38,10)", idExpression: "12345678901234567890.1234567891 + i");
        Assert.StartsWith("error: id_column: 'id' is DECIMAL(38,10), and 20 of its values", ErrorLine(config), StringComparison.Ordinal);
        Assert.False(File.Exists(_folder.File("output.duckdb")));
    }

    [Fact]
    public void An_interval_id_is_refused_naming_the_type()
    {
        var config = WriteConfig(idType: "INTERVAL", idExpression: "to_days(i::INTEGER)");
        Assert.StartsWith("error: id_column: 'id' is INTERVAL, which DuckEmbed cannot copy exactly", ErrorLine(config), StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_setting_is_one_error_line_on_stderr_and_nothing_is_written()
    {
        var config = WriteConfig();
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"embedded\"", "\"embedded\", \"precison\": \"int8\"", StringComparison.Ordinal));

        var (exitCode, stdout, stderr) = CliProcess.Run(config);

        Assert.Equal(1, exitCode);
        Assert.Equal($"error: {config}: 'precison' is not a setting; did you mean 'precision'? Every setting is in docs/configuration.md.", stderr.Trim());
        Assert.DoesNotContain("precison", stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(_folder.File("output.duckdb")));
    }

    [Theory]
    [InlineData("verify")]
    [InlineData("status")]
    [InlineData("search", "a query")]
    public void Every_command_takes_verbose_and_then_shows_the_errors_stack_trace(params string[] command)
    {
        var config = WriteConfig();
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"texts\"", "\"txts\"", StringComparison.Ordinal));

        var (plainExit, _, plain) = CliProcess.RunCommand(config, command);
        var (verboseExit, _, verbose) = CliProcess.RunCommand(config, [.. command, "--verbose"]);

        Assert.Equal((1, 1), (plainExit, verboseExit));
        Assert.Single(plain.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", plain, StringComparison.Ordinal);
        Assert.Contains("   at DuckEmbed.", verbose, StringComparison.Ordinal);
    }

    [Fact]
    public void The_run_report_goes_to_stdout_and_stderr_stays_empty()
    {
        var (exitCode, stdout, stderr) = CliProcess.Run(WriteConfig());

        Assert.True(exitCode == 0, stderr);
        Assert.Equal("", stderr.Trim());
        Assert.Contains("Done: 20 rows written", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void An_output_another_program_has_open_is_refused_naming_that()
    {
        var config = WriteConfig();
        TestDatabase.Execute(_folder.File("output.duckdb"), "CREATE TABLE other (x INTEGER)");
        using var holder = new DuckDB.NET.Data.DuckDBConnection($"Data Source={_folder.File("output.duckdb")}");
        holder.Open();
        Assert.Contains("Another program (or another run) has it open", ErrorLine(config), StringComparison.Ordinal);
    }

    [Fact]
    public void An_input_another_program_is_writing_is_refused_naming_that()
    {
        var config = WriteConfig();
        var before = SHA256.HashData(File.ReadAllBytes(Input));
        using (var holder = new DuckDB.NET.Data.DuckDBConnection($"Data Source={Input}"))
        {
            holder.Open();
            var (exitCode, _, stderr) = CliProcess.Run(config);
            Assert.True(exitCode == 1, stderr);
            Assert.Contains("Another program has it open for writing", stderr, StringComparison.Ordinal);
        }
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(Input)));
    }

    [Fact]
    public void A_typo_in_the_table_is_reported_before_the_model_loads_even_with_int8()
    {
        var config = WriteConfig();
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"texts\"", "\"txts\"", StringComparison.Ordinal).Replace("\"embedded\"", "\"embedded\", \"precision\": \"int8\"", StringComparison.Ordinal));
        var (exitCode, stdout, stderr) = CliProcess.Run(config);
        Assert.Equal(1, exitCode);
        Assert.Contains("error: input_table: 'txts' is not a table of the input database; did you mean 'texts'?", stderr, StringComparison.Ordinal);
        // The model's first log line says where it runs; no model was loaded.
        Assert.DoesNotContain("Running on the CPU", stdout + stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(_folder.File("output.duckdb")));
    }
}
