using System.Security.Cryptography;
using DuckEmbed.Processor.Tests;
using DuckEmbed.Tests;

namespace DuckEmbed.Cli.Tests;

/// <summary>
/// Every config key and every flag, given wrong types, wrong shapes, negatives, zero and huge values: exit 1 with one
/// line naming the setting, never a .NET exception or type name, and the input unchanged. Config keys go through the
/// embed command in this process (they fail before the model loads, or as it loads); flags through the real program,
/// whose parser they meet.
/// </summary>
public sealed class BadValueSweepTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public BadValueSweepTests() => TestDatabase.Execute(Input, "CREATE TABLE texts (id INTEGER, text VARCHAR)",
        "INSERT INTO texts SELECT i, 'a short text number ' || i FROM range(1, 21) t(i)");

    public void Dispose() => _folder.Dispose();

    private string Input => _folder.File("input.duckdb");

    private const string Base = """
        "input_db_path": "input.duckdb", "output_db_path": "output.duckdb", "input_table": "texts",
        "id_column": "id", "text_column": "text", "output_table": "embedded"
        """;

    private static readonly string[] WrongTypes = ["5", "true", "[]", "{}", "null"];
    private static readonly string[] BadNumbers = ["\"8\"", "-1", "0", "1.5", "2147483648", "1e12", "true", "[]"];
    private static readonly string[] BadWords = ["\"\"", "\"x\"", "5", "true", "[]"];
    private static readonly string[] BadSizes = ["\"x\"", "\"-1GB\"", "\"0MB\"", "\"1 parsec\"", "5", "[]"];

    /// <summary>Each key with the values it must refuse (a required key's null is its absence).</summary>
    public static TheoryData<string, string> BadSettings()
    {
        var data = new TheoryData<string, string>();
        void Add(string key, IEnumerable<string> values)
        {
            foreach (var value in values)
            {
                data.Add(key, value);
            }
        }
        foreach (var key in new[] { "input_db_path", "output_db_path", "input_table", "id_column", "text_column", "output_table" })
        {
            Add(key, [.. WrongTypes, "\"\""]);
        }
        Add("vector_column", ["5", "[]", "\"\"", "\"id\""]);
        Add("vector_type", BadWords);
        Add("device", BadWords);
        Add("precision", [.. BadWords, "\"int4\""]);
        Add("model_path", ["5", "\"\"", "\"no-such-folder\"", "\"input.duckdb\""]);
        Add("prompt", ["5", "\"\"", "\"query\""]);
        Add("model_cache", ["5", "\"\"", "[]"]);
        Add("cuda_tf32", ["\"yes\"", "1", "[]"]);
        Add("equal_length_batches", ["\"yes\"", "1", "[]"]);
        Add("check_disk_space", ["\"no\"", "0", "{}"]);
        Add("cuda_devices", ["\"0\"", "[-1]", "[0, 0]", "[\"a\"]", "{}", "[]", "[2147483648]"]);
        Add("duckdb_memory_limit", [.. BadSizes, "\"1KB\""]);
        Add("cuda_memory_limit", BadSizes);
        foreach (var key in new[] { "threads", "batches_per_window", "max_rows", "max_batch_tokens", "truncate_dim", "writers", "generator_calls", "commit_seconds" })
        {
            Add(key, BadNumbers);
        }
        Add("threads", ["100000"]);
        Add("writers", ["17"]);
        Add("generator_calls", ["9"]);
        Add("commit_seconds", ["3601"]);
        Add("max_batch_tokens", ["2000000000"]);
        Add("batches_per_window", ["1000000"]);
        Add("truncate_dim", ["385", "100000"]);
        return data;
    }

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task A_bad_config_value_is_one_line_naming_the_setting_with_exit_1(string key, string value)
    {
        var config = _folder.File("config.json");
        var required = Base.Contains($"\"{key}\"", StringComparison.Ordinal);
        File.WriteAllText(config, required
            ? "{" + System.Text.RegularExpressions.Regex.Replace(Base, $"\"{key}\": \"[^\"]*\"", $"\"{key}\": {value}") + "}"
            : "{" + Base + $", \"{key}\": {value}" + "}");
        var before = SHA256.HashData(File.ReadAllBytes(Input));
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exitCode = await EmbedCommand.RunAsync(new EmbedCommand.Request(config), new CommandContext(_ => null, stdout, stderr, Verbose: false));

        var errors = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => line.StartsWith("error: ", StringComparison.Ordinal)).ToList();
        Assert.True(exitCode == 1 && errors.Count == 1, $"{key}: {value} → exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Contains(key, errors[0], StringComparison.Ordinal);
        Assert.DoesNotMatch(@"System\.|Exception|`1", stderr.ToString());
        Assert.Equal(before, SHA256.HashData(File.ReadAllBytes(Input)));
    }

    public static TheoryData<string> BadFlags() => new()
    {
        "--shards x", "--shards -1", "--shards 0", "--shards 10001", "--shards 2147483648", "--shards 2 --shard -1", "--shards 2 --shard 2", "--shard 1",
        "--shards 1.5", "search", "search x -k 0", "search x -k -3", "search x -k 10001", "search x -k 1e3",
        "verify --sample 0", "verify --sample 100001", "verify --sample x",
        "benchmark --sizes 0", "benchmark --sizes 70000", "benchmark --sizes x", "benchmark --rows 0", "benchmark --rows 1000001",
        "merge", "merge --shards 0", "merge --shards 10001", "merge --shards 2147483647", "merge --shards y",
        "status --shards -2", "status --shards 10001", "--no-such-flag", "no-such-command",
    };

    [Theory]
    [MemberData(nameof(BadFlags))]
    public void A_bad_flag_is_one_line_with_exit_1(string arguments)
    {
        var config = _folder.File("config.json");
        File.WriteAllText(config, "{" + Base + "}");

        var (exitCode, _, stderr) = CliProcess.RunCommand(config, arguments.Split(' '));

        var errors = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(line => line.StartsWith("error: ", StringComparison.Ordinal)).ToList();
        Assert.True(exitCode == 1 && errors.Count == 1, $"{arguments} → exit {exitCode}\n{stderr}");
        Assert.DoesNotMatch(@"System\.|Exception|`1", stderr);
        Assert.False(File.Exists(_folder.File("output.duckdb")));
    }
}
