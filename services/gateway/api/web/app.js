/* ID photo maker: upload → Stage A (detect, align, matte) once → Stage B re-renders as the options change
   (FinalizeJob: no model runs again), debounced, one at a time; the latest options always win. */
"use strict";

(() => {
  const api = window.IdPhotoApi;
  const $ = (id) => document.getElementById(id);
  const ADJUSTMENTS = ["brightness", "contrast", "saturation", "sharpness"];
  const DEBOUNCE_MS = 350;
  const STAGES = {
    queued: "Waiting for a worker", retry: "Trying again", decode: "Reading the photo",
    detect_align: "Finding the face", check_size: "Checking the face size", region: "Framing head and shoulders",
    matte: "Separating you from the background", measure: "Measuring the head", preview: "Preview ready",
    render: "Rendering the photo", done: "Done",
  };
  const HINTS = {
    NO_FACE: "Use a photo where your face is clearly visible.", MULTIPLE_FACES: "Use a photo with only you in it.",
    FACE_TOO_SMALL: "Use a closer or larger photo.", HEAD_OUT_OF_FRAME: "Use a photo with space above your head.",
    INVALID_IMAGE: "Choose an image file.", UNSUPPORTED_FORMAT: "Save the photo as JPEG or PNG and try again.",
    FILE_TOO_LARGE: "Choose a smaller file.", OUTPUT_TOO_LARGE: "Raise the file size limit, or choose JPEG.",
  };
  const state = { file: null, specs: new Map(), jobId: "", lastEventId: "", generation: 0, busy: false,
                  dirty: false, timer: 0, starting: false, previewReady: false };

  // --- small UI helpers ------------------------------------------------------------------------------------
  function setPhase(phase, text) {
    $("result").dataset.state = phase;
    if (text !== undefined) $("status").textContent = text;
  }
  function setProgress(value) {
    const bar = $("progress");
    bar.hidden = value === null;
    if (value !== null) bar.value = Math.max(0, Math.min(1, value));
  }
  function showError(err) {
    const box = $("error");
    if (!err) { box.hidden = true; box.textContent = ""; return; }
    let hint = HINTS[err.code] ? " " + HINTS[err.code] : "";
    if (err.code === "FILE_TOO_LARGE" && err.details.max_bytes) {
      hint = " Choose a file under " + (Number(err.details.max_bytes) / 1e6).toFixed(1) + " MB.";
    }
    box.textContent = capitalize(err.message || "something went wrong") + "." + hint + " (" + err.code + ")";
    box.hidden = false;
  }
  function capitalize(text) { return text.charAt(0).toUpperCase() + text.slice(1).replace(/\.$/, ""); }
  function enableLink(link, url, filename) {
    if (url) { link.href = url; link.download = filename; link.setAttribute("aria-disabled", "false"); }
    else { link.removeAttribute("href"); link.setAttribute("aria-disabled", "true"); }
  }
  function sameOriginVersioned(url, version) {
    const parsed = new URL(url, location.href);
    if (parsed.origin !== location.origin) return url;          // presigned URLs must stay untouched
    parsed.searchParams.set("v", version);
    return parsed.toString();
  }

  // --- the document list ------------------------------------------------------------------------------------
  async function loadSpecs() {
    let token = "";
    const all = [];
    do {
      const page = await api.call("/v1/specs?pageSize=500" + (token ? "&pageToken=" + encodeURIComponent(token) : ""));
      all.push(...page.specs);
      token = page.nextPageToken;
    } while (token);
    all.sort((a, b) => (a.countryName + a.document).localeCompare(b.countryName + b.document));
    all.forEach((spec) => state.specs.set(spec.id, spec));
    renderSpecs();
  }

  function renderSpecs() {
    const words = $("spec-search").value.toLowerCase().split(/\s+/).filter(Boolean);
    const select = $("spec");
    const chosen = select.value;
    select.replaceChildren();
    let group = null;
    let count = 0;
    for (const spec of state.specs.values()) {
      const haystack = [spec.countryName, spec.country, spec.document, spec.id].join(" ").toLowerCase();
      if (!words.every((word) => haystack.includes(word))) continue;
      if (!group || group.label !== spec.countryName) {
        group = document.createElement("optgroup");
        group.label = spec.countryName;
        select.append(group);
      }
      const option = new Option(spec.document + " — " + mm(spec.widthMm) + "×" + mm(spec.heightMm) + " mm", spec.id);
      option.selected = spec.id === chosen;
      group.append(option);
      count += 1;
    }
    $("spec-count").textContent = count === 1 ? "1 document" : count + " documents";
  }
  function mm(value) { return Number(value.toFixed(1)).toString(); }

  function describeSpec() {
    const spec = state.specs.get($("spec").value);
    if (!spec) { $("spec-info").textContent = ""; return; }
    const head = spec.headMinMm ? " · head " + mm(spec.headMinMm) + "–" + mm(spec.headMaxMm) + " mm" : "";
    $("spec-info").textContent = spec.countryName + " " + spec.document + ": " + mm(spec.widthMm) + " × " +
      mm(spec.heightMm) + " mm, " + spec.widthPx + " × " + spec.heightPx + " px at " + spec.dpi + " dpi" + head;
  }

  // --- options ------------------------------------------------------------------------------------------------
  function options() {
    const picked = document.querySelector("input[name=background]:checked").value;
    const background = picked === "custom" ? $("custom-color").value : picked;
    const result = { background, format: $("format").value, sheet: $("paper").value };
    ADJUSTMENTS.forEach((name) => { result[name] = Number($(name).value); });
    const maxKb = parseInt($("max-kb").value, 10);
    if (maxKb > 0) result.maxKb = maxKb;
    return result;
  }

  // --- the job --------------------------------------------------------------------------------------------------
  function onEvent(event) {
    state.lastEventId = event.eventId;
    const label = STAGES[event.stage] || "Working";
    setProgress(event.progress || 0);
    $("status").textContent = label + "…";
  }

  function showImage(job, kind, version) {
    const output = (job.outputs || []).find((o) => o.kind === kind);
    if (!output) return null;
    const img = $("photo");
    img.src = sameOriginVersioned(output.url, version);
    img.alt = kind === "photo" ? "Your ID photo" : "Preview of your ID photo";
    img.hidden = false;
    $("placeholder").hidden = true;
    return output;
  }

  async function start() {
    const specId = $("spec").value;
    if (!state.file || !specId) return;
    const generation = ++state.generation;
    Object.assign(state, { jobId: "", lastEventId: "", starting: true, previewReady: false, dirty: false });
    clearTimeout(state.timer);
    showError(null);
    enableLink($("download-photo"), "", "");
    enableLink($("download-sheet"), "", "");
    try {
      setPhase("uploading", "Uploading the photo…");
      setProgress(0);
      const upload = await api.upload(state.file, (done) => setProgress(done));
      if (generation !== state.generation) return;
      setPhase("processing", "Queued…");
      setProgress(0);
      const job = await api.call("/v1/jobs", { method: "POST", body: { uploadId: upload.uploadId, specId, options: options() } });
      state.jobId = job.id;
      const ready = await api.watch(job.id, "", onEvent);
      if (generation !== state.generation) return;
      if (ready.state !== "JOB_STATE_PREVIEW_READY") throw jobError(ready);
      showImage(ready, "preview", state.lastEventId);
      state.previewReady = true;
      await render(generation);
    } catch (err) {
      if (generation === state.generation) fail(err);
    } finally {
      if (generation === state.generation) state.starting = false;
    }
  }

  function jobError(job) {
    const error = job.error || { code: "CANCELLED", message: "the job was cancelled" };
    return new api.ApiError(error, 422);
  }

  function fail(err) {
    setPhase("error", "Something needs your attention.");
    setProgress(null);
    showError(err);
    window.IdPhotoReport.render(null);              // the checklist would describe an earlier render
  }

  function optionsChanged() {
    if (!state.previewReady) {            // Stage A still running: its first render will read the options
      if (!state.starting && state.file && $("spec").value) start();
      return;
    }
    setPhase("pending", "Updating…");
    clearTimeout(state.timer);
    const generation = state.generation;
    state.timer = setTimeout(() => render(generation), DEBOUNCE_MS);
  }

  async function render(generation) {
    if (state.busy) { state.dirty = true; return; }
    state.busy = true;
    try {
      do {
        state.dirty = false;
        const chosen = options();
        const specId = $("spec").value;
        setPhase("rendering", "Rendering the photo…");
        await api.call("/v1/jobs/" + encodeURIComponent(state.jobId) + ":finalize", {
          method: "POST", body: { options: chosen, specId } });
        const job = await api.watch(state.jobId, state.lastEventId, onEvent);
        if (generation !== state.generation) return;
        if (!state.dirty) showResult(job, chosen, specId);
      } while (state.dirty && generation === state.generation);
    } catch (err) {
      if (generation === state.generation) fail(err);
    } finally {
      state.busy = false;
    }
  }

  function showResult(job, chosen, specId) {
    setProgress(null);
    if (job.state !== "JOB_STATE_SUCCEEDED") {
      enableLink($("download-photo"), "", "");
      enableLink($("download-sheet"), "", "");
      fail(job.error ? new api.ApiError(job.error, 422) : jobError(job));
      return;
    }
    showError(null);
    const photo = showImage(job, "photo", state.lastEventId);
    const ext = chosen.format === "png" ? "png" : "jpg";
    const link = $("download-photo");
    enableLink(link, photo.url, specId + "." + ext);
    link.dataset.background = chosen.background;
    link.dataset.spec = specId;
    const sheet = (job.outputs || []).find((o) => o.kind === "sheet");
    $("download-sheet").hidden = !sheet;
    enableLink($("download-sheet"), sheet ? sheet.url : "", specId + "-" + chosen.sheet + "-sheet." + ext);
    $("photo-caption").textContent = photo.widthPx + " × " + photo.heightPx + " px · " +
      Math.max(1, Math.round(Number(photo.sizeBytes) / 1024)) + " KB";
    window.IdPhotoReport.render(job.report);
    setPhase("ready", "Ready: check the list below, then download your photo.");
  }

  // --- wiring ----------------------------------------------------------------------------------------------------
  function chooseFile(file) {
    if (!file) return;
    state.file = file;
    $("file-name").textContent = "Selected: " + file.name;
    $("file-name").hidden = false;
    if (!$("spec").value) $("status").textContent = "Now choose the document.";
    start();
  }

  function wire() {
    $("file").addEventListener("change", (e) => chooseFile(e.target.files[0]));
    const drop = $("drop");
    ["dragenter", "dragover"].forEach((type) => drop.addEventListener(type, (e) => {
      e.preventDefault();
      drop.classList.add("dragging");
    }));
    ["dragleave", "drop"].forEach((type) => drop.addEventListener(type, () => drop.classList.remove("dragging")));
    drop.addEventListener("drop", (e) => { e.preventDefault(); chooseFile(e.dataTransfer.files[0]); });
    $("spec-search").addEventListener("input", renderSpecs);
    $("spec-search").addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown" || e.key === "Enter") {
        e.preventDefault();
        const first = $("spec").querySelector("option");
        if (e.key === "Enter" && first && !$("spec").value) { $("spec").value = first.value; $("spec").dispatchEvent(new Event("change")); }
        $("spec").focus();
      }
    });
    $("spec").addEventListener("change", () => { describeSpec(); optionsChanged(); });
    document.querySelectorAll("input[name=background]").forEach((r) => r.addEventListener("change", optionsChanged));
    $("custom-color").addEventListener("input", () => {
      $("custom-chip").style.setProperty("--custom", $("custom-color").value);
      $("bg-custom").checked = true;
      optionsChanged();
    });
    ADJUSTMENTS.forEach((name) => $(name).addEventListener("input", () => {
      $(name + "-out").value = $(name).value;
      optionsChanged();
    }));
    $("reset").addEventListener("click", () => {
      ADJUSTMENTS.forEach((name) => { $(name).value = 0; $(name + "-out").value = "0"; });
      optionsChanged();
    });
    ["paper", "format", "max-kb"].forEach((id) => $(id).addEventListener("change", optionsChanged));
    $("controls").addEventListener("submit", (e) => e.preventDefault());
  }

  wire();
  loadSpecs().catch((err) => { $("spec-count").textContent = "The documents could not be loaded."; fail(err); });
})();
