using System.Diagnostics;
using System.Threading.Channels;

namespace Fovea.Serving;

/// <summary>
/// Gathers images from concurrent requests into batched forward passes. Requests enqueue into a bounded channel; one
/// worker, the model's only user (models are not thread-safe), takes the first waiting image, then keeps taking until
/// the batch holds <c>maxBatch</c> images or <c>maxWait</c> has passed since it took the first, and runs them in one
/// Predict. Under load a batch fills at once and throughput is that of batched inference; an idle server answers a
/// lone request after at most <c>maxWait</c>.
/// </summary>
internal sealed class InferenceBatcher : IAsyncDisposable
{
    private readonly ServedModel _model;
    private readonly Channel<PendingPrediction> _queue;
    private readonly int _maxBatch;
    private readonly TimeSpan _maxWait;
    private readonly Action<int, TimeSpan> _onBatch;
    private readonly Action<TimeSpan> _onExplained;
    private readonly Task _worker;

    /// <param name="model">The model; from now on used by the worker alone.</param>
    /// <param name="maxBatch">Most images per forward pass.</param>
    /// <param name="maxWait">How long a batch's first image waits for company.</param>
    /// <param name="capacity">Most images waiting; <see cref="TryEnqueue"/> refuses beyond it.</param>
    /// <param name="onBatch">Told each batch's size and forward-pass time (for the metrics).</param>
    /// <param name="onExplained">Told each explanation's time (for the metrics).</param>
    public InferenceBatcher(ServedModel model, int maxBatch, TimeSpan maxWait, int capacity, Action<int, TimeSpan> onBatch, Action<TimeSpan> onExplained)
    {
        _onExplained = onExplained;
        _model = model;
        _maxBatch = maxBatch;
        _maxWait = maxWait;
        _onBatch = onBatch;
        _queue = Channel.CreateBounded<PendingPrediction>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then answers false when full, and the request gets 503
        });
        _worker = Task.Run(RunAsync);
    }

    /// <summary>Images waiting for the model.</summary>
    public int QueueLength => _queue.Reader.Count;

    /// <summary>
    /// Queues one decoded image. False when the queue is full or the batcher is stopping: the caller answers 503 rather
    /// than letting a backlog grow without bound.
    /// </summary>
    public bool TryEnqueue(byte[] pixels, out Task<float[]> probabilities)
    {
        var pending = new PendingPrediction(pixels);
        probabilities = pending.Probabilities.Task;
        return _queue.Writer.TryWrite(pending);
    }

    /// <summary>Queues one decoded image to explain, in the same queue as predictions (the worker owns the model);
    /// false when the queue is full or the batcher is stopping.</summary>
    public bool TryEnqueueExplanation(byte[] pixels, ExplanationRequest request, out Task<ServedExplanation> explanation)
    {
        var pending = new PendingPrediction(pixels, request);
        explanation = pending.Explanation.Task;
        return _queue.Writer.TryWrite(pending);
    }

    /// <summary>Accepts no more images, finishes those already queued, and waits for the worker.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _worker.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        ChannelReader<PendingPrediction> reader = _queue.Reader;
        var batch = new List<PendingPrediction>(_maxBatch);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            Take(reader, batch);
            if (batch.Count < _maxBatch && _maxWait > TimeSpan.Zero)
            {
                // The window opens when the first image is taken, so no image waits longer than maxWait for others.
                using var window = new CancellationTokenSource(_maxWait);
                try
                {
                    while (batch.Count < _maxBatch && await reader.WaitToReadAsync(window.Token).ConfigureAwait(false))
                        Take(reader, batch);
                }
                catch (OperationCanceledException) when (window.IsCancellationRequested)
                {
                    // The window closed: run what we have.
                }
            }
            Run(batch);
            batch.Clear();
        }
    }

    private void Take(ChannelReader<PendingPrediction> reader, List<PendingPrediction> batch)
    {
        while (batch.Count < _maxBatch && reader.TryRead(out PendingPrediction? pending)) batch.Add(pending);
    }

    private void Run(List<PendingPrediction> taken)
    {
        var batch = taken.Where(p => p.Explain is null).ToList();
        if (batch.Count > 0) Predict(batch);
        foreach (var pending in taken)
            if (pending.Explain is { } request) Explain(pending, request);
    }

    /// <summary>One explanation, alone: Grad-CAM's backward pass does not batch with predictions.</summary>
    private void Explain(PendingPrediction pending, ExplanationRequest request)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            pending.Explanation.TrySetResult(_model.Explain(pending.Pixels, request));
        }
        catch (Exception e)
        {
            pending.Explanation.TrySetException(e);
            return;
        }
        _onExplained(Stopwatch.GetElapsedTime(start));
    }

    private void Predict(List<PendingPrediction> batch)
    {
        int count = batch.Count, size = _model.ImageBytes, classes = _model.ClassNames.Count;
        var pixels = new byte[count * size]; // [count, H, W, C]
        for (int i = 0; i < count; i++) batch[i].Pixels.CopyTo(pixels, i * size);
        long start = Stopwatch.GetTimestamp();
        float[] probabilities; // [count, classes]
        try
        {
            probabilities = _model.Predict(pixels, count);
        }
        catch (Exception e)
        {
            // A model failure fails this batch's requests (500), not the worker: the next batch is served.
            foreach (PendingPrediction pending in batch) pending.Probabilities.TrySetException(e);
            return;
        }
        _onBatch(count, Stopwatch.GetElapsedTime(start));
        for (int i = 0; i < count; i++) batch[i].Probabilities.TrySetResult(probabilities.AsSpan(i * classes, classes).ToArray());
    }
}
