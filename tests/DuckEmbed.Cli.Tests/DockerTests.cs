using System.Diagnostics;
using DuckEmbed.Processor.Tests;
using DuckEmbed.Tests;

namespace DuckEmbed.Cli.Tests;

/// <summary>
/// The real Dockerfile built and run on this machine's own Docker engine (started if none answers), with stand-in
/// base images made offline (tests/docker/standins.sh). Nothing here is skipped: without an engine the tests fail
/// with the reason.
/// </summary>
public sealed class DockerImage : IDisposable
{
    public const string Tag = "duckembed:test";
    private readonly bool _startedEngine;

    public DockerImage()
    {
        var standins = Shell.Run("bash", [Path.Combine(TestPaths.RepositoryRoot, "tests", "docker", "standins.sh")], TimeSpan.FromMinutes(10));
        Assert.True(standins.ExitCode == 0, $"Docker could not be set up here:\n{standins.Output}");
        _startedEngine = standins.Output.Contains("engine=started", StringComparison.Ordinal);
        var replaced = ImageId(Tag);
        var started = DateTimeOffset.UtcNow;
        var timer = Stopwatch.StartNew();
        var build = Shell.Run("docker", ["build", "-t", Tag, TestPaths.RepositoryRoot], TimeSpan.FromMinutes(15));
        Assert.True(build.ExitCode == 0, $"docker build failed:\n{build.Output[Math.Max(0, build.Output.Length - 4000)..]}");
        BuildSeconds = timer.Elapsed.TotalSeconds;
        RemoveWhatTheBuildReplaced(replaced, started);
    }

    /// <summary>
    /// Every build leaves the image it took the tag from and the build stage of the build before untagged, ~5.5 GB
    /// a run: a machine that runs the suite often fills its disk. This build's own build stage stays, as the next
    /// build's cache.
    /// </summary>
    private static void RemoveWhatTheBuildReplaced(string? replaced, DateTimeOffset started)
    {
        if (replaced is not null && replaced != ImageId(Tag))
        {
            Shell.Run("docker", ["image", "rm", replaced], TimeSpan.FromMinutes(2));
        }
        Shell.Run("docker", ["image", "prune", "--force", "--filter", "label=duckembed.stage=build",
            "--filter", "until=" + started.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromMinutes(2));
    }

    private static string? ImageId(string image) =>
        Shell.Run("docker", ["image", "inspect", "--format", "{{.Id}}", image], TimeSpan.FromSeconds(30)) is { ExitCode: 0 } found
            ? found.Output.Trim()
            : null;

    public double BuildSeconds { get; }

    public void Dispose()
    {
        if (_startedEngine)
        {
            Shell.Run("bash", [Path.Combine(TestPaths.RepositoryRoot, "tests", "docker", "standins.sh"), "stop"], TimeSpan.FromMinutes(1));
        }
    }
}

[Trait("Needs", "Docker")]
public sealed class DockerTests(DockerImage image, Xunit.Abstractions.ITestOutputHelper log) : IClassFixture<DockerImage>, IDisposable
{
    // A user that is not root, in the docker group: what embed.sh does for a real user (files owned by them).
    private const string User = "duckembed-tester";
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static Dictionary<string, string> ContainerEnvironment(string batchSize = "32") => new()
    {
        ["DUCKEMBED_DOCKER"] = "1",
        ["DUCKEMBED_IMAGE"] = DockerImage.Tag,
        ["BATCH_SIZE"] = batchSize,
    };

    /// <summary>A folder of the tester's with the bundled example's input and a config naming it.</summary>
    private string UserFolder(string name, string? input = null)
    {
        var folder = Directory.CreateDirectory(_folder.File(name)).FullName;
        File.Copy(input ?? Path.Combine(TestPaths.RepositoryRoot, "example", "input.duckdb"), Path.Combine(folder, "input.duckdb"));
        File.WriteAllText(Path.Combine(folder, "config.json"), """
            { "input_db_path": "input.duckdb", "output_db_path": "output.duckdb", "input_table": "source_texts",
              "id_column": "document_id", "text_column": "content", "output_table": "embedded_texts" }
            """);
        Shell.Run("chown", ["-R", $"{TesterUid()}:{TesterUid()}", _folder.Path], TimeSpan.FromSeconds(30));
        Shell.Run("chmod", ["755", _folder.Path], TimeSpan.FromSeconds(30));
        return folder;
    }

    private static int TesterUid()
    {
        if (Shell.Run("id", ["-u", User], TimeSpan.FromSeconds(10)) is { ExitCode: 0 } known)
        {
            return int.Parse(known.Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        Assert.Equal(0, Shell.Run("useradd", ["--user-group", "--groups", "docker", "--no-create-home", User], TimeSpan.FromSeconds(30)).ExitCode);
        return TesterUid();
    }

    /// <summary>A script of the repository run as the tester (setpriv execs it: same pid, signals reach it).</summary>
    private static Process StartAsTester(string script, string workingDirectory, Dictionary<string, string> environment, params string[] arguments)
    {
        var uid = TesterUid().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var start = new ProcessStartInfo("setpriv")
        {
            WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (var argument in (string[])[$"--reuid={uid}", $"--regid={uid}", "--init-groups", "bash", Path.Combine(TestPaths.RepositoryRoot, script), .. arguments])
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        start.Environment["HOME"] = workingDirectory;
        return Process.Start(start)!;
    }

    private static (int ExitCode, string Stdout, string Stderr) RunAsTester(string script, string workingDirectory, Dictionary<string, string> environment, params string[] arguments)
    {
        using var process = StartAsTester(script, workingDirectory, environment, arguments);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), "the script did not finish in 5 minutes");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Embed_sh_runs_a_users_folder_in_the_container_as_the_user_with_the_local_builds_vectors()
    {
        var folder = UserFolder("my data");
        var elsewhere = Directory.CreateDirectory(_folder.File("somewhere else")).FullName;

        var timer = Stopwatch.StartNew();
        var (exitCode, stdout, stderr) = RunAsTester("embed.sh", elsewhere, ContainerEnvironment(), "--config", Path.Combine(folder, "config.json"));
        var containerSeconds = timer.Elapsed.TotalSeconds;

        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Contains($"Running in the container {DockerImage.Tag} on the CPU", stderr, StringComparison.Ordinal);
        Assert.Contains("Running on the CPU: CUDA is not available", stdout + stderr, StringComparison.Ordinal);
        Assert.Contains("Done: 2,000 rows written to embedded_texts in /data/output.duckdb", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("telemetry", stdout + stderr, StringComparison.OrdinalIgnoreCase);
        var output = Path.Combine(folder, "output.duckdb");
        Assert.Equal(TesterUid(), (int)Shell.StatOwner(output));

        // The same job with the local build (this test's own embed), compared row by row.
        File.Copy(Path.Combine(folder, "config.json"), Path.Combine(folder, "local.json"));
        File.WriteAllText(Path.Combine(folder, "local.json"), File.ReadAllText(Path.Combine(folder, "local.json")).Replace("output.duckdb", "local.duckdb", StringComparison.Ordinal));
        timer.Restart();
        var local = CliProcess.Run(Path.Combine(folder, "local.json"), new Dictionary<string, string> { ["BATCH_SIZE"] = "32" });
        var localSeconds = timer.Elapsed.TotalSeconds;
        Assert.True(local.ExitCode == 0, local.Stderr);
        log.WriteLine($"image built in {image.BuildSeconds:F0} s; 2,000 example rows: container {containerSeconds:F1} s, local {localSeconds:F1} s (wall, start-up included)");

        var container = Vectors(output);
        var reference = Vectors(Path.Combine(folder, "local.duckdb"));
        Assert.Equal(reference.Keys.Order(), container.Keys.Order());
        var lowest = container.Min(row => VectorMath.Cosine(row.Value, reference[row.Key]));
        Assert.True(lowest >= 0.9999, $"lowest cosine container vs local {lowest:F6}");
    }

    [Fact]
    public void The_exit_code_through_the_container_is_the_jobs()
    {
        var folder = UserFolder("bad");
        File.WriteAllText(Path.Combine(folder, "config.json"), File.ReadAllText(Path.Combine(folder, "config.json")).Replace("\"source_texts\"", "\"source_text\"", StringComparison.Ordinal));
        var (exitCode, _, stderr) = RunAsTester("embed.sh", folder, ContainerEnvironment());
        Assert.Equal(1, exitCode);
        Assert.Contains("error: input_table: 'source_text' is not a table of the input database; did you mean 'source_texts'?", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_through_docker_run_stops_at_a_committed_window_and_the_next_run_resumes()
    {
        var folder = UserFolder("signal");
        using (var process = StartAsTester("embed.sh", folder, ContainerEnvironment(batchSize: "16")))
        {
            var stdout = new System.Text.StringBuilder();
            var stderr = process.StandardError.ReadToEndAsync();
            var deadline = Stopwatch.StartNew();
            while (!stdout.ToString().Contains("Processed ", StringComparison.Ordinal))
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromMinutes(3) && process.StandardOutput.ReadLine() is { } line && stdout.AppendLine(line) is not null,
                    $"no progress seen: {stdout}");
            }
            Shell.Run("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(10));
            var rest = process.StandardOutput.ReadToEndAsync();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)));
            var errors = await stderr;
            Assert.True(process.ExitCode == 143, $"exit {process.ExitCode}: {stdout}{await rest}{errors}");
            Assert.Contains("Stopped: ", errors, StringComparison.Ordinal);
        }
        var output = Path.Combine(folder, "output.duckdb");
        var committed = TestDatabase.CountRows(output, "embedded_texts");
        Assert.InRange(committed, 1, 1999);

        var (exitCode, again, logged) = RunAsTester("embed.sh", folder, ContainerEnvironment());

        Assert.True(exitCode == 0, again + logged);
        Assert.Contains($"Resuming: {committed} rows already in embedded_texts", again + logged, StringComparison.Ordinal);
        Assert.Equal(2000L, TestDatabase.CountRows(output, "embedded_texts"));
        Assert.Equal(2000L, TestDatabase.Query(output, "SELECT count(DISTINCT document_id) FROM embedded_texts")[0][0]);
    }

    [Fact]
    public void Check_benchmark_runs_through_the_container()
    {
        var folder = UserFolder("bench");
        var (exitCode, stdout, stderr) = RunAsTester("check_benchmark.sh", folder, ContainerEnvironment(), "--sizes", "8", "16", "--rows", "64");
        Assert.True(exitCode == 0, stdout + stderr);
        Assert.Contains($"Running in the container {DockerImage.Tag} on the CPU", stderr, StringComparison.Ordinal);
        Assert.Contains("export BATCH_SIZE=", stdout, StringComparison.Ordinal);
        Assert.Equal(["check_benchmark.png", "config.json", "input.duckdb"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Compose_runs_as_the_user_it_is_given_and_refuses_to_run_without_one()
    {
        // Debian's docker-compose reads the file as compose v2 does; the GPU reservation itself needs a GPU host.
        if (Shell.Run("sh", ["-c", "command -v docker-compose"], TimeSpan.FromSeconds(10)).ExitCode != 0)
        {
            Assert.Equal(0, Shell.Run("apt-get", ["install", "-y", "-qq", "docker-compose"], TimeSpan.FromMinutes(5)).ExitCode);
        }
        var file = Path.Combine(TestPaths.RepositoryRoot, "docker-compose.yml");
        var without = Shell.Run("docker-compose", ["-f", file, "config"], TimeSpan.FromMinutes(1));
        Assert.NotEqual(0, without.ExitCode);
        Assert.Contains("set DUCKEMBED_USER=$(id -u):$(id -g)", without.Output, StringComparison.Ordinal);

        var start = new ProcessStartInfo("docker-compose", ["-f", file, "config"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DUCKEMBED_USER"] = "1234:5678";
        using var compose = Process.Start(start)!;
        var rendered = compose.StandardOutput.ReadToEnd();
        compose.WaitForExit();
        Assert.Equal(0, compose.ExitCode);
        Assert.Contains("user: 1234:5678", rendered, StringComparison.Ordinal);
        Assert.Contains("working_dir: /data", rendered, StringComparison.Ordinal);
    }

    private static Dictionary<long, float[]> Vectors(string database) => TestDatabase.VectorsById(database, "embedded_texts", "document_id");
}

/// <summary>Commands the Docker tests run, with their output.</summary>
internal static class Shell
{
    public static (int ExitCode, string Output) Run(string command, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{command} did not finish in {timeout}\n{stdout.Result}{stderr.Result}");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    public static long StatOwner(string path) =>
        long.Parse(Run("stat", ["-c", "%u", path], TimeSpan.FromSeconds(10)).Output.Trim(), System.Globalization.CultureInfo.InvariantCulture);
}
