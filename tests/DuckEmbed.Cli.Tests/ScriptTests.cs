using System.Diagnostics;
using DuckEmbed.Tests;

namespace DuckEmbed.Cli.Tests;

/// <summary>
/// embed.sh and check_benchmark.sh with a fake <c>docker</c> and <c>dotnet</c> on PATH that record their arguments
/// (no Docker engine exists here), run from a copy of the scripts so nothing is built.
/// </summary>
public sealed class ScriptTests : IDisposable
{
    private readonly TempDirectory _folder = new();
    private readonly string _repository;
    private readonly string _fakes;
    private readonly string _work;

    public ScriptTests()
    {
        _repository = Directory.CreateDirectory(_folder.File("repo")).FullName;
        foreach (var script in new[] { "embed.sh", "check_benchmark.sh", "scripts/dispatch.sh", "scripts/publish.sh" })
        {
            var target = Path.Combine(_repository, script);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(TestPaths.RepositoryRoot, script), target);
        }
        foreach (var folder in new[] { "src", "example" })
        {
            Directory.CreateDirectory(Path.Combine(_repository, folder));
        }
        File.WriteAllText(Path.Combine(_repository, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(_repository, "Directory.Packages.props"), "<Project />");

        _fakes = Directory.CreateDirectory(_folder.File("bin")).FullName;
        WriteFake("docker", """
            echo "docker $*" >> "$FAKE_LOG"
            case "$1 ${2:-}" in
              "info ") exit "${FAKE_DOCKER_INFO_EXIT:-0}" ;;
              "info --format") if [ -n "${FAKE_DOCKER_RUNTIMES:-}" ]; then echo "$FAKE_DOCKER_RUNTIMES"; else echo '{"io.containerd.runc.v2":{},"nvidia":{}}'; fi ;;
              "image inspect") [ -f "$FAKE_LOG.built" ] && exit 0; exit "${FAKE_IMAGE_EXISTS_EXIT:-0}" ;;
              "build -t") touch "$FAKE_LOG.built" ;;
              "run "*) case " $* " in *" --entrypoint true "*) [ -n "${FAKE_GPUS_ERROR:-}" ] && { echo "$FAKE_GPUS_ERROR" >&2; exit 125; } ;; esac
                       [ -n "${FAKE_STDOUT:-}" ] && echo "$FAKE_STDOUT"
                       exit "${FAKE_RUN_EXIT:-0}" ;;
            esac
            """);
        WriteFake("dotnet", """
            echo "dotnet $*" >> "$FAKE_LOG"
            [ -n "${FAKE_STDOUT:-}" ] && echo "$FAKE_STDOUT"
            exit "${FAKE_RUN_EXIT:-0}"
            """);
        WriteFake("nvidia-smi", """
            [ -n "${FAKE_DRIVER:-}" ] && echo "$FAKE_DRIVER"
            """);
        _work = Directory.CreateDirectory(_folder.File("work dir")).FullName;
        WriteConfig(Path.Combine(_work, "config.json"));
    }

    private static void WriteConfig(string path, string input = "input.duckdb") => File.WriteAllText(path, $$"""
        { "input_db_path": "{{input}}", "output_db_path": "output.duckdb", "input_table": "t", "id_column": "id",
          "text_column": "text", "output_table": "o" }
        """);

    public void Dispose() => _folder.Dispose();

    private string Log => _folder.File("calls.log");

    private string[] Calls => File.Exists(Log) ? File.ReadAllLines(Log) : [];

    /// <summary>The job's <c>docker run</c>s, without the one that tries whether <c>--gpus</c> works.</summary>
    private IEnumerable<string> ContainerRuns => Calls.Where(c => c.StartsWith("docker run", StringComparison.Ordinal) && !c.Contains("--entrypoint true", StringComparison.Ordinal));

    private void WriteFake(string name, string body)
    {
        var path = Path.Combine(_fakes, name);
        File.WriteAllText(path, "#!/usr/bin/env bash\n" + body.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    private (int ExitCode, string Output) Run(string script, Dictionary<string, string>? environment = null, params string[] arguments)
    {
        var (exitCode, stdout, stderr) = RunSplit(script, environment, arguments);
        return (exitCode, stdout + stderr);
    }

    private (int ExitCode, string Stdout, string Stderr) RunSplit(string script, Dictionary<string, string>? environment = null, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _work };
        start.ArgumentList.Add(Path.Combine(_repository, script));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["PATH"] = _fakes + ":/usr/bin:/bin";
        start.Environment["FAKE_LOG"] = Log;
        start.Environment.Remove("BATCH_SIZE");
        start.Environment.Remove("DUCKEMBED_LOCAL");
        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(30_000), "script did not finish");
        return (process.ExitCode, output.Result, error.Result);
    }

    private static string Id(string flag) =>
        Process.Start(new ProcessStartInfo("id", flag) { RedirectStandardOutput = true })!.StandardOutput.ReadToEnd().Trim();

    [Fact]
    public void With_docker_and_the_nvidia_runtime_embed_runs_the_gpu_container_on_this_folder()
    {
        WriteConfig(Path.Combine(_work, "my config.json"));
        var (exitCode, output) = Run("embed.sh", new() { ["BATCH_SIZE"] = "64" }, "--config", "my config.json", "--verbose");

        Assert.Equal(0, exitCode);
        Assert.Contains("BATCH_SIZE=64", output, StringComparison.Ordinal);
        Assert.Contains("./check_benchmark.sh", output, StringComparison.Ordinal);
        Assert.Contains("Running in the GPU container duckembed:0.1.0 (GPUs: all)", output, StringComparison.Ordinal);
        var run = Assert.Single(ContainerRuns);
        Assert.Equal($"docker run --rm --gpus all --user {Id("-u")}:{Id("-g")} -v {_work}:/data -w /data -e BATCH_SIZE -e DEVICE -e DUCKEMBED_PLAIN duckembed:0.1.0 --verbose --config /data/my config.json", run);
    }

    [Fact]
    public void A_config_in_another_folder_mounts_that_folder_and_names_the_config_inside_it()
    {
        var elsewhere = Directory.CreateDirectory(_folder.File("else where")).FullName;
        WriteConfig(Path.Combine(elsewhere, "job.json"));
        Assert.Equal(0, Run("embed.sh", null, "--config", Path.Combine(elsewhere, "job.json")).ExitCode);
        Assert.EndsWith($"-v {elsewhere}:/data -w /data -e BATCH_SIZE -e DEVICE -e DUCKEMBED_PLAIN duckembed:0.1.0 --config /data/job.json",
            Assert.Single(ContainerRuns), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/elsewhere/input.duckdb")]
    [InlineData("../input.duckdb")]
    public void A_config_naming_a_database_outside_its_folder_is_refused_before_the_container_starts(string input)
    {
        WriteConfig(Path.Combine(_work, "config.json"), input);
        var (exitCode, output) = Run("embed.sh");
        Assert.Equal(1, exitCode);
        Assert.Contains($"error: config.json: \"input_db_path\": \"{input}\" is outside the config's folder", output, StringComparison.Ordinal);
        Assert.Empty(ContainerRuns);
    }

    [Fact]
    public void A_missing_config_is_named_before_the_container_starts()
    {
        File.Delete(Path.Combine(_work, "config.json"));
        var (exitCode, output) = Run("embed.sh");
        Assert.Equal(1, exitCode);
        Assert.Contains("error: --config: config.json not found.", output, StringComparison.Ordinal);
        Assert.Empty(ContainerRuns);
    }

    [Fact]
    public void Docker_without_a_gpu_runs_the_image_on_the_cpu_when_asked()
    {
        var (exitCode, output) = Run("embed.sh", new() { ["DUCKEMBED_DOCKER"] = "1", ["FAKE_DOCKER_RUNTIMES"] = "{\"runc\":{}}" });
        Assert.Equal(0, exitCode);
        Assert.Contains("Running in the container duckembed:0.1.0 on the CPU (DUCKEMBED_DOCKER=1", output, StringComparison.Ordinal);
        Assert.StartsWith($"docker run --rm --user {Id("-u")}:{Id("-g")} -v {_work}:/data",
            Assert.Single(ContainerRuns), StringComparison.Ordinal);
    }

    [Fact]
    public void Cuda_visible_devices_chooses_the_gpus_given_to_the_container()
    {
        Run("embed.sh", new() { ["CUDA_VISIBLE_DEVICES"] = "1,3" });
        Assert.StartsWith("docker run --rm --gpus \"device=1,3\" --user",
            Assert.Single(ContainerRuns), StringComparison.Ordinal);
    }

    [Fact]
    public void A_driver_too_old_for_cuda_13_runs_locally_and_says_why()
    {
        var (exitCode, output) = Run("embed.sh", new() { ["FAKE_DRIVER"] = "550.54.15" });
        Assert.Equal(0, exitCode);
        Assert.Contains("Running locally: the NVIDIA driver is 550.54.15; the image's CUDA 13 needs 580 or newer", output, StringComparison.Ordinal);
        Assert.Empty(ContainerRuns);
    }

    [Fact]
    public void Without_batch_size_the_launcher_leaves_the_default_to_the_device_and_says_so()
    {
        var (_, output) = Run("embed.sh");
        Assert.Contains("BATCH_SIZE not set: the default follows the device, 32 on the CPU and 256 on a GPU", output, StringComparison.Ordinal);
        Assert.DoesNotContain("BATCH_SIZE=", output, StringComparison.Ordinal);
    }

    [Fact]
    public void Docker_whose_runtime_list_lacks_nvidia_but_whose_gpus_flag_works_runs_the_gpu_container()
    {
        var (exitCode, output) = Run("embed.sh", new() { ["FAKE_DOCKER_RUNTIMES"] = "{\"runc\":{}}" });

        Assert.Equal(0, exitCode);
        Assert.Contains("Running in the GPU container duckembed:0.1.0 (GPUs: all)", output, StringComparison.Ordinal);
        Assert.Contains("docker run --rm --gpus all --entrypoint true duckembed:0.1.0", Calls);
        Assert.StartsWith("docker run --rm --gpus all --user", Assert.Single(ContainerRuns), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("")]
    [InlineData("none")]
    [InlineData("0;rm -rf /")]
    public void Cuda_visible_devices_that_docker_cannot_pass_are_refused_naming_the_value(string value)
    {
        var (exitCode, output) = Run("embed.sh", new() { ["CUDA_VISIBLE_DEVICES"] = value });

        Assert.Equal(1, exitCode);
        Assert.Contains($"error: CUDA_VISIBLE_DEVICES='{value}' names no GPU docker can pass in", output, StringComparison.Ordinal);
        Assert.DoesNotContain(Calls, c => c.StartsWith("docker run", StringComparison.Ordinal));
    }

    [Fact]
    public void Cuda_visible_devices_given_as_gpu_uuids_are_passed_to_docker()
    {
        Run("embed.sh", new() { ["CUDA_VISIBLE_DEVICES"] = "GPU-6b1f2c3d-aaaa-bbbb-cccc-0123456789ab,1" });
        Assert.StartsWith("docker run --rm --gpus \"device=GPU-6b1f2c3d-aaaa-bbbb-cccc-0123456789ab,1\" --user", Assert.Single(ContainerRuns), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("")]
    public void The_scripts_own_lines_go_to_stderr_so_that_stdout_is_the_cli_s_alone(string local)
    {
        var (exitCode, stdout, stderr) = RunSplit("embed.sh", new() { ["DUCKEMBED_LOCAL"] = local, ["FAKE_STDOUT"] = "[{\"rank\":1}]", ["BATCH_SIZE"] = "64" }, "search", "--json", "ssh");

        Assert.Equal(0, exitCode);
        Assert.Equal("[{\"rank\":1}]\n", stdout);
        Assert.Contains("BATCH_SIZE=64", stderr, StringComparison.Ordinal);
        Assert.Contains(local == "1" ? "Running locally" : "Running in the GPU container", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Running", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_image_is_built_before_it_runs()
    {
        Run("embed.sh", new() { ["FAKE_IMAGE_EXISTS_EXIT"] = "1" });
        var calls = Calls.Where(c => c.StartsWith("docker build", StringComparison.Ordinal) || c.StartsWith("docker run", StringComparison.Ordinal) && !c.Contains("--entrypoint true", StringComparison.Ordinal)).ToList();
        Assert.Equal($"docker build -t duckembed:0.1.0 {_repository}", calls[0]);
        Assert.StartsWith("docker run", calls[1], StringComparison.Ordinal);
    }

    [Fact]
    public void The_exit_code_of_the_job_is_the_exit_code_of_the_script()
    {
        Assert.Equal(7, Run("embed.sh", new() { ["FAKE_RUN_EXIT"] = "7" }).ExitCode);
        Assert.Equal(7, Run("embed.sh", new() { ["FAKE_RUN_EXIT"] = "7", ["DUCKEMBED_LOCAL"] = "1" }).ExitCode);
    }

    [Theory]
    [InlineData("FAKE_DOCKER_INFO_EXIT", "1", "Running locally: no Docker engine answers.")]
    [InlineData("FAKE_GPUS_ERROR", "could not select device driver \"\" with capabilities: [[gpu]]", "Running locally: docker run --gpus all does not work here (could not select device driver \"\" with capabilities: [[gpu]]): the NVIDIA container toolkit is missing or not set up (DUCKEMBED_DOCKER=1 runs the image on the CPU).")]
    [InlineData("DUCKEMBED_LOCAL", "1", "Running locally: DUCKEMBED_LOCAL=1.")]
    public void Without_a_usable_gpu_container_embed_runs_the_local_build_and_says_why(string variable, string value, string message)
    {
        var (exitCode, output) = Run("embed.sh", new() { [variable] = value }, "--config", "c.json");

        Assert.Equal(0, exitCode);
        Assert.Contains(message, output, StringComparison.Ordinal);
        Assert.Empty(ContainerRuns);
        Assert.Contains(Calls, c => c.StartsWith($"dotnet publish {_repository}/src/DuckEmbed.Cli/DuckEmbed.Cli.csproj -c Release -o {_repository}/.build/embed", StringComparison.Ordinal));
        Assert.Equal($"dotnet {_repository}/.build/embed/embed.dll --config c.json", Calls[^1]);
    }

    [Fact]
    public void The_local_build_is_reused_until_a_source_changes()
    {
        var local = new Dictionary<string, string> { ["DUCKEMBED_LOCAL"] = "1" };
        Run("embed.sh", local);
        Run("embed.sh", local);
        Assert.Single(Calls, c => c.StartsWith("dotnet publish", StringComparison.Ordinal));

        var source = Path.Combine(_repository, "src", "Changed.cs");
        File.WriteAllText(source, "");
        File.SetLastWriteTimeUtc(source, DateTime.UtcNow.AddMinutes(1));
        Run("embed.sh", local);
        Assert.Equal(2, Calls.Count(c => c.StartsWith("dotnet publish", StringComparison.Ordinal)));
    }

    [Fact]
    public void Check_benchmark_takes_the_same_path_as_embed_with_the_benchmark_command()
    {
        Run("check_benchmark.sh", null, "--sizes", "16", "32");
        Assert.EndsWith("duckembed:0.1.0 benchmark --sizes 16 32 --config /data/config.json", Assert.Single(ContainerRuns), StringComparison.Ordinal);

        Run("check_benchmark.sh", new() { ["DUCKEMBED_LOCAL"] = "1" }, "--rows", "10");
        Assert.Equal($"dotnet {_repository}/.build/embed/embed.dll benchmark --rows 10", Calls[^1]);
    }
}
