using DuckEmbed.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace DuckEmbed.Processor.Tests;

/// <summary>
/// The generator is given the next window while it still embeds one (<see cref="EmbeddingJob.GeneratorCalls"/>), so
/// that a GPU's next window is tokenized while it runs the last: windows then finish in any order.
/// </summary>
public sealed class GeneratorCallsTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>A generator whose first call waits until a second call has started (up to <see cref="Patience"/>).</summary>
    private static HashEmbeddingGenerator FirstCallHeldUntilTheSecondComes()
    {
        var secondCalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return new HashEmbeddingGenerator
        {
            DuringCall = async (call, token) =>
            {
                if (call == 1)
                {
                    await secondCalled.Task.WaitAsync(Patience, token);
                }
                else
                {
                    secondCalled.TrySetResult();
                }
            },
        };
    }

    [Fact]
    public async Task The_generator_gets_the_next_window_while_the_first_is_still_with_it_and_both_are_written_once()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 300);
        var output = _folder.File("out.duckdb");
        // Both windows are with the generator at once, and the second may finish first.
        var generator = FirstCallHeldUntilTheSecondComes();

        var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 50, GeneratorCalls = 2 },
            generator, NullLogger.Instance);

        Assert.Equal(300, summary.RowsWritten);
        Assert.Equal(2, generator.MostCallsAtOnce);
        ExactlyOnceTests.AssertEveryRowOnceWithItsVector(input, output, 300);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task No_more_windows_than_asked_are_with_the_generator_at_once(int calls)
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 400);
        var output = _folder.File("out.duckdb");
        var generator = new HashEmbeddingGenerator { DuringCall = (_, token) => Task.Delay(20, token) };

        await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 20, GeneratorCalls = calls },
            generator, NullLogger.Instance);

        Assert.Equal(calls, generator.MostCallsAtOnce);
        ExactlyOnceTests.AssertEveryRowOnceWithItsVector(input, output, 400);
    }

    [Fact]
    public async Task A_text_of_a_window_still_with_the_generator_is_not_embedded_again_by_the_next()
    {
        // Windows of 10 rows; rows 10-18 repeat the texts of rows 0-8, row 19 is new. The first window is held
        // until the second call comes, so the second window is planned while the first is with the generator.
        var input = _folder.File("input.duckdb");
        TestDatabase.Execute(input, "CREATE TABLE docs (id BIGINT, body VARCHAR)",
            "INSERT INTO docs SELECT i, CASE WHEN i < 19 THEN 'text ' || (i % 10) ELSE 'new' END FROM range(20) t(i)");
        var output = _folder.File("out.duckdb");
        var generator = FirstCallHeldUntilTheSecondComes();

        var summary = await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 10, GeneratorCalls = 2 },
            generator, NullLogger.Instance);

        Assert.Equal(2, generator.Calls);
        Assert.Equal(11, generator.Texts);
        Assert.Equal(9, summary.ReusedVectors);
        ExactlyOnceTests.AssertEveryRowOnceWithItsVector(input, output, 20);
    }

    [Fact]
    public async Task A_call_that_fails_while_another_is_in_flight_is_the_error_reported_and_a_rerun_completes()
    {
        var input = TestDatabase.CreateDocs(_folder.Path, 300);
        var output = _folder.File("out.duckdb");
        var failing = new HashEmbeddingGenerator
        {
            DuringCall = async (call, token) =>
            {
                if (call == 2)
                {
                    // Held until the run stops: it ends cancelled, which is not the cause.
                    await Task.Delay(Patience, token);
                }
                else if (call == 3)
                {
                    throw new InvalidOperationException("model crashed");
                }
            },
        };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 50, GeneratorCalls = 2 }, failing, NullLogger.Instance));

        Assert.Equal("model crashed", error.Message);
        await EmbeddingProcessor.ProcessAsync(TestDatabase.Job(input, output) with { WindowSize = 50 }, new HashEmbeddingGenerator(), NullLogger.Instance);
        ExactlyOnceTests.AssertEveryRowOnceWithItsVector(input, output, 300);
    }
}
