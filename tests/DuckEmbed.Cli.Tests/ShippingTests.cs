using System.Diagnostics;
using DuckEmbed.Tests;

namespace DuckEmbed.Cli.Tests;

/// <summary>What ships beside the code: the shell scripts, the Dockerfile, and check_benchmark.sh really run.</summary>
public sealed class ShippingTests
{
    private static (int ExitCode, string Output) Run(string file, IEnumerable<string> arguments, string workingDirectory,
        Dictionary<string, string>? environment = null, int timeoutSeconds = 60)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish in {timeoutSeconds} s");
        }
        return (process.ExitCode, output.Result + error.Result);
    }

    [Fact]
    public void Shell_scripts_are_shellcheck_clean()
    {
        Assert.True(File.Exists("/usr/bin/shellcheck") || File.Exists("/usr/local/bin/shellcheck"),
            "shellcheck is not installed: apt-get install shellcheck (test.sh does this when run as root)");
        var scripts = new[] { "embed.sh", "check_benchmark.sh", "test.sh", ".ci/run", "scripts/dispatch.sh", "scripts/publish.sh", "tests/docker/standins.sh",
            "deploy/slurm/submit.sh", "deploy/slurm/embed-array.sbatch", "deploy/slurm/merge.sbatch", "deploy/slurm/requeue.sh", "deploy/aws-batch/submit.sh", "tests/slurm/cluster.sh" };
        var (exitCode, output) = Run("shellcheck", ["-x", .. scripts], TestPaths.RepositoryRoot);
        Assert.True(exitCode == 0, output);
    }

    [Fact]
    public void The_dockerfile_builds_with_the_shared_publish_script_on_pinned_cuda_13_and_runs_as_a_user_in_data()
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.RepositoryRoot, "Dockerfile"))
            .Where(l => !l.TrimStart().StartsWith('#') && l.Trim().Length > 0).ToList();
        var froms = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();

        Assert.Equal(2, froms.Count);
        Assert.All(froms, f => Assert.Matches(@"^FROM [\w./-]+:\d[\w.-]*( AS \w+)?$", f));
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.", froms[0], StringComparison.Ordinal);
        Assert.Matches(@"^FROM nvidia/cuda:13\.\d+\.\d+-cudnn-runtime-", froms[1]);
        Assert.Contains(lines, l => l.StartsWith("RUN scripts/publish.sh /app ", StringComparison.Ordinal) && l.Contains("-p:OnnxRuntimeFlavor=gpu", StringComparison.Ordinal));
        Assert.Contains("COPY --from=build /app /app", lines);
        Assert.Matches(@"^USER (?!root)\w+$", lines.Last(l => l.StartsWith("USER ", StringComparison.Ordinal)));
        Assert.Contains("WORKDIR /data", lines);
        Assert.Equal("ENTRYPOINT [\"/app/embed\"]", lines.Last(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal)));
        Assert.True(File.Exists(Path.Combine(TestPaths.RepositoryRoot, ".dockerignore")));
    }

    [Fact]
    public void Check_benchmark_on_the_bundled_example_prints_a_table_and_a_recommendation()
    {
        using var folder = new TempDirectory();

        var (exitCode, output) = Run("bash", [Path.Combine(TestPaths.RepositoryRoot, "check_benchmark.sh"), "--sizes", "8", "16", "--rows", "48"],
            folder.Path, new() { ["DUCKEMBED_LOCAL"] = "1" }, timeoutSeconds: 300);

        Assert.True(exitCode == 0, output);
        Assert.Contains("BATCH_SIZE       rows     rows/s   tokens/s   peak memory", output, StringComparison.Ordinal);
        Assert.Matches(@"\n\s+8\s+48\s+[\d.]+\s+\d+\s+\d+ MB", output);
        Assert.Matches(@"\n\s+16\s+48\s+[\d.]+\s+\d+\s+\d+ MB", output);
        Assert.Matches(@"export BATCH_SIZE=(8|16)\b", output);
        // The one file it writes: the table drawn, where it was run.
        var plot = Assert.Single(Directory.GetFiles(folder.Path));
        Assert.Equal("check_benchmark.png", Path.GetFileName(plot));
        Assert.Contains($"Plot: {plot}", output, StringComparison.Ordinal);
        using var picture = SkiaSharp.SKBitmap.Decode(plot);
        Assert.Equal((BenchmarkPlot.Width, BenchmarkPlot.Height), (picture.Width, picture.Height));
        // The rows/s curve is drawn: a thick line and markers in its colour. Anti-aliasing leaves the exact colour on
        // part of them only, as many as the measured rates' line allows (998 seen in one run): hundreds at least.
        var curve = new SkiaSharp.SKColor(BenchmarkPlot.RowsColor.R, BenchmarkPlot.RowsColor.G, BenchmarkPlot.RowsColor.B);
        Assert.InRange(picture.Pixels.Count(p => p.Red == curve.Red && p.Green == curve.Green && p.Blue == curve.Blue), 300, 100_000);
    }
}
