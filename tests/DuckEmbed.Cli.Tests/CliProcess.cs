using System.Diagnostics;
using System.Text;

namespace DuckEmbed.Cli.Tests;

/// <summary>Runs the real <c>embed</c> program as a separate process.</summary>
internal sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    public CliProcess(string configPath, IReadOnlyDictionary<string, string>? environment = null, params string[] extraArguments)
        : this(["--config", configPath, .. extraArguments], environment)
    {
    }

    private CliProcess(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment)
    {
        // Through env, which execs dotnet in its place (same pid): a test run started in the background by a shell
        // inherits SIGINT as ignored, and .NET then never sees Ctrl-C; --default-signal gives the child the default
        // disposition, as a user's terminal would.
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "embed.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Runs <c>embed COMMAND ARGUMENTS… --config CONFIG</c> to the end.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunCommand(string configPath, params string[] arguments)
    {
        using var cli = new CliProcess([.. arguments, "--config", configPath], null);
        var exitCode = cli.WaitForExit(TimeSpan.FromMinutes(3));
        return (exitCode, cli.Stdout, cli.Stderr);
    }

    /// <summary>Starts <c>embed COMMAND ARGUMENTS… --config CONFIG</c>.</summary>
    public static CliProcess Start(string configPath, params string[] arguments) => new([.. arguments, "--config", configPath], null);

    /// <summary>Starts <c>embed COMMAND --config CONFIG</c> with <paramref name="environment"/>.</summary>
    public static CliProcess Start(string command, string configPath, IReadOnlyDictionary<string, string> environment) =>
        new([command, "--config", configPath], environment);

    /// <summary>Starts <c>embed benchmark --config CONFIG ARGUMENTS…</c>.</summary>
    public static CliProcess Benchmark(string configPath, IReadOnlyDictionary<string, string> environment, params string[] arguments) =>
        new(["benchmark", "--config", configPath, .. arguments], environment);

    public string Stdout => Read(_stdout);

    public string Stderr => Read(_stderr);

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (output)
        {
            output.AppendLine(line);
        }
    }

    private static string Read(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public static (int ExitCode, string Stdout, string Stderr) Run(string configPath, IReadOnlyDictionary<string, string>? environment = null, params string[] extraArguments) =>
        Run(configPath, TimeSpan.FromMinutes(3), environment, extraArguments);

    /// <summary>Runs <c>embed --config CONFIG</c> to the end, failing it if it takes longer than <paramref name="timeout"/>.</summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string configPath, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null, params string[] extraArguments)
    {
        using var cli = new CliProcess(configPath, environment, extraArguments);
        var exitCode = cli.WaitForExit(timeout);
        return (exitCode, cli.Stdout, cli.Stderr);
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"embed did not finish in {timeout}. stdout:\n{Stdout}\nstderr:\n{Stderr}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Waits until stdout holds <paramref name="text"/> <paramref name="times"/> times.</summary>
    public void WaitForOutput(string text, int times, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (CountOf(Stdout, text) < times)
        {
            if (_process.HasExited || deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"'{text}' ×{times} not seen. stdout:\n{Stdout}\nstderr:\n{Stderr}");
            }
            Thread.Sleep(20);
        }
    }

    /// <summary>SIGKILL: no handler runs, nothing is flushed — a power cut as far as the process knows.</summary>
    public void KillHard()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private static int CountOf(string haystack, string needle)
    {
        var count = 0;
        for (var at = haystack.IndexOf(needle, StringComparison.Ordinal); at >= 0; at = haystack.IndexOf(needle, at + needle.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}
