using System.Globalization;
using System.Text.Json;
using DuckEmbed.Processor;
using DuckEmbed.Processor.Tests;
using DuckEmbed.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Cli.Tests;

/// <summary>
/// The output is read by the DuckDB releases users have, not only the one that wrote it: each release through
/// <c>@duckdb/node-api</c> from npm (its packages carry DuckDB's binary), installed once into a cache folder.
/// </summary>
[Trait("Needs", "npm")]
public sealed class OldDuckDbReadsOutputTests : IDisposable
{
    private static readonly string[] Releases = ["1.1.3-alpha.12", "1.2.2-alpha.19", "1.4.4-r.4"];

    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task An_output_written_in_large_and_small_commits_opens_in_DuckDB_1_1_1_2_and_1_4_with_every_row_and_its_FLOAT_array()
    {
        // More than a row group of 122,880 rows (written straight into the file) and a rest (committed through the WAL,
        // folded in at close).
        var rows = 122_880 + 3000;
        var input = TestDatabase.CreateDocs(_folder.Path, rows);
        var output = _folder.File("out.duckdb");
        await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 8192 },
            new HashEmbeddingGenerator { VectorLength = 384 }, NullLogger.Instance);
        var expectedSum = Convert.ToDouble(TestDatabase.Query(output, "SELECT sum(vector[1])::DOUBLE FROM embedded")[0][0], CultureInfo.InvariantCulture);

        foreach (var release in Releases)
        {
            var read = JsonDocument.Parse(ReadWith(release, output)).RootElement;

            Assert.StartsWith("v" + release.Split('-')[0], read.GetProperty("version").GetString(), StringComparison.Ordinal);
            Assert.Equal("FLOAT[384]", read.GetProperty("type").GetString());
            Assert.Equal(rows, read.GetProperty("rows").GetInt64());
            Assert.Equal(rows, read.GetProperty("distinct_ids").GetInt64());
            Assert.Equal(1.0, read.GetProperty("min_self_cosine").GetDouble(), 1e-5);
            Assert.Equal(expectedSum, read.GetProperty("sum_first").GetDouble(), Math.Abs(expectedSum) * 1e-9 + 1e-6);
        }
    }

    private static string ReadWith(string release, string output)
    {
        var folder = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "duckembed-tests", "duckdb-node", release);
        var script = Path.Combine(folder, "read-output.mjs");
        if (!File.Exists(Path.Combine(folder, "node_modules", "@duckdb", "node-api", "package.json")))
        {
            Directory.CreateDirectory(folder);
            var (code, log) = Shell.Run("npm", ["install", "--prefix", folder, "--no-audit", "--no-fund", "--silent", $"@duckdb/node-api@{release}"], TimeSpan.FromMinutes(5));
            Assert.True(code == 0, $"npm could not install @duckdb/node-api@{release} (npm and the npm registry are needed for this test): {log}");
        }
        File.Copy(Path.Combine(TestPaths.RepositoryRoot, "tests", "compat", "read-output.mjs"), script, overwrite: true);
        var (exitCode, printed) = Shell.Run("node", [script, output, "embedded", "vector"], TimeSpan.FromMinutes(2));
        Assert.True(exitCode == 0, $"DuckDB {release} could not read the output: {printed}");
        return printed.Trim().Split('\n')[^1];
    }
}
