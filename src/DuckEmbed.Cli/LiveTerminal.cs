using System.Text;
using Microsoft.Win32.SafeHandles;

namespace DuckEmbed.Cli;

/// <summary>
/// A terminal's stdout and stderr shared by the lines a run prints (its log included) and one live line under them,
/// as tqdm's <c>write</c> does: a line printed while the live line shows clears it, is printed in its place, and the
/// live line is drawn again below it. Attached, it is <see cref="Console.Out"/> and <see cref="Console.Error"/>, so that
/// the console logger, made after it, writes through it too. Attached, it writes to the terminal's file descriptors
/// itself, not through the console's writers: on Unix every console write locks <see cref="Console.Out"/>, which is
/// then this terminal's own writer, held by the console logger while it waits for this terminal — a deadlock between
/// a log line and a redraw of the live line (it stopped a run with the model half loaded).
/// </summary>
internal sealed class LiveTerminal : IDisposable
{
    // \r and "erase to the end of the line": whatever the line held, it is drawn anew where it is.
    private const string ClearLine = "\r\u001b[K";

    private readonly Lock _gate = new();
    private readonly TextWriter _out;
    private readonly TextWriter _error;
    private readonly (TextWriter Out, TextWriter Error)? _console;
    private string? _live;

    internal LiveTerminal(TextWriter output, TextWriter error)
        : this(output, error, null)
    {
    }

    private LiveTerminal(TextWriter output, TextWriter error, (TextWriter Out, TextWriter Error)? console)
    {
        _out = output;
        _error = error;
        _console = console;
        Out = new LineWriter(this, output);
        Error = new LineWriter(this, error);
    }

    /// <summary>What is printed above the live line, on stdout.</summary>
    public TextWriter Out { get; }

    /// <summary>What is printed above the live line, on stderr.</summary>
    public TextWriter Error { get; }

    /// <summary>Takes over <see cref="Console.Out"/> and <see cref="Console.Error"/> until disposed.</summary>
    public static LiveTerminal Attach()
    {
        var (output, error) = OperatingSystem.IsWindows()
            ? (Console.OpenStandardOutput(), Console.OpenStandardError())
            : ((Stream)Descriptor(1), (Stream)Descriptor(2));
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        var terminal = new LiveTerminal(new StreamWriter(output, utf8), new StreamWriter(error, utf8), (Console.Out, Console.Error));
        Console.SetOut(terminal.Out);
        Console.SetError(terminal.Error);
        return terminal;
    }

    // Not owned, and the writers over it never disposed: the descriptor stays the console's, and a redraw already
    // under way when the terminal is disposed still writes. (Windows' console streams take no lock of Console.Out's;
    // Unix's do.)
    private static FileStream Descriptor(int number) => new(new SafeFileHandle(number, ownsHandle: false), FileAccess.Write, bufferSize: 0);

    /// <summary>Draws <paramref name="line"/> as the live line, in place of the one shown.</summary>
    public void Show(string line)
    {
        lock (_gate)
        {
            _live = line;
            _out.Write(ClearLine + line);
            _out.Flush();
        }
    }

    /// <summary>Leaves the live line as it is shown and goes on below it; what is printed next starts on a line of its own.</summary>
    public void EndLine()
    {
        lock (_gate)
        {
            if (_live is not null)
            {
                _out.WriteLine();
                _out.Flush();
                _live = null;
            }
        }
    }

    public void Dispose()
    {
        EndLine();
        ((LineWriter)Out).FlushPartial();
        ((LineWriter)Error).FlushPartial();
        if (_console is { } console)
        {
            Console.SetOut(console.Out);
            Console.SetError(console.Error);
        }
    }

    private void Print(TextWriter target, string lines)
    {
        lock (_gate)
        {
            if (_live is not null)
            {
                _out.Write(ClearLine);
                _out.Flush();
            }
            target.Write(lines);
            target.Flush();
            if (_live is not null)
            {
                _out.Write(_live);
                _out.Flush();
            }
        }
    }

    /// <summary>Passes whole lines to the terminal: a line still being written waits for its end.</summary>
    private sealed class LineWriter(LiveTerminal terminal, TextWriter target) : TextWriter
    {
        private readonly StringBuilder _partial = new();

        public override Encoding Encoding => target.Encoding;

        public override void Write(char value)
        {
            lock (_partial)
            {
                _partial.Append(value);
                if (value == '\n')
                {
                    PassOn();
                }
            }
        }

        public override void Write(string? value)
        {
            if (string.IsNullOrEmpty(value))
            {
                return;
            }
            lock (_partial)
            {
                _partial.Append(value);
                if (value.Contains('\n', StringComparison.Ordinal))
                {
                    PassOn();
                }
            }
        }

        public override void Write(char[] buffer, int index, int count) => Write(new string(buffer, index, count));

        public override void WriteLine(string? value) => Write(value + NewLine);

        public void FlushPartial()
        {
            lock (_partial)
            {
                if (_partial.Length > 0)
                {
                    terminal.Print(target, _partial.ToString());
                    _partial.Clear();
                }
            }
        }

        // Up to the last line break; the rest stays for its line's end.
        private void PassOn()
        {
            var text = _partial.ToString();
            var end = text.LastIndexOf('\n') + 1;
            terminal.Print(target, text[..end]);
            _partial.Remove(0, end);
        }
    }
}
