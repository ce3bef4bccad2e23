using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using DuckEmbed.Tests;

namespace DuckEmbed.Cli.Tests;

/// <summary><c>embed --dry-run</c> as a person runs it before a long job.</summary>
public sealed partial class DryRunTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_dry_run_writes_nothing_estimates_the_real_run_within_two_times_and_refuses_what_the_run_would()
    {
        CorpusInput.WriteFirstLines(_folder.File("input.duckdb"), 1500);
        var config = _folder.File("config.json");
        File.WriteAllText(config, """
            { "input_db_path": "input.duckdb", "output_db_path": "output.duckdb", "input_table": "texts",
              "id_column": "id", "text_column": "text", "output_table": "embedded", "precision": "int8" }
            """);
        var before = Snapshot();

        var (exitCode, stdout, stderr) = CliProcess.Run(config, null, "--dry-run");

        Assert.True(exitCode == 0, stderr);
        Assert.Equal(before, Snapshot());
        Assert.Contains("Dry run: nothing was written.", stdout, StringComparison.Ordinal);
        Assert.Contains("to embed        1,500", stdout, StringComparison.Ordinal);
        Assert.Matches(@"disk +about .* MB in .* is free there", stdout);
        var estimate = double.Parse(Estimate().Match(stdout).Groups[1].Value, CultureInfo.InvariantCulture);

        var timer = Stopwatch.StartNew();
        var (runExit, _, runError) = CliProcess.Run(config);
        var seconds = timer.Elapsed.TotalSeconds;

        Assert.True(runExit == 0, runError);
        Assert.InRange(estimate / seconds, 0.5, 2.0);

        // Against the output it made, the dry run says what the run would: resuming with another precision is refused.
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"int8\"", "\"fp32\"", StringComparison.Ordinal));
        var afterRun = Snapshot();
        var (refusedExit, _, refused) = CliProcess.Run(config, null, "--dry-run");
        Assert.Equal(1, refusedExit);
        Assert.Contains("was made with other settings (precision: int8 then, fp32 now)", refused, StringComparison.Ordinal);
        Assert.Equal(afterRun, Snapshot());
    }

    // Every file under the test's folder with its SHA-256: a cache or output written anywhere in it shows.
    private SortedDictionary<string, string> Snapshot() => new(Directory.EnumerateFiles(_folder.Path, "*", SearchOption.AllDirectories)
        .ToDictionary(f => Path.GetRelativePath(_folder.Path, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))), StringComparer.Ordinal);

    [GeneratedRegex(@"time +about ([\d.]+)s:")]
    private static partial Regex Estimate();
}
