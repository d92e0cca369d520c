/**
 * The demo's assignment submission with a file, as Moodle 4.3 does it (checked with curl on a real
 * 4.3): the edit page (`mod/assign/view.php?id=N&action=editsubmission`) carries a form whose
 * `files_filemanager` holds a fresh draft item id, and the file manager's JS config (its context
 * and the "Upload a file" repository). The browser uploads to
 * `repository/repository_ajax.php?action=upload` (multipart: sesskey, repo_id, itemid, ctx_id,
 * title, repo_upload_file) into the user's own draft area, which answers 200 JSON — the file, a
 * name clash (`fileexists`, stored under "name (1)"), or `{"error": …}` (wrong sesskey, too large).
 * Saving the form (`action=savesubmission` with the sesskey) moves the draft's files into the
 * submission and answers 303 to `view.php?id=N&action=view`.
 */
import type { DemoCounters } from "./counters.ts";
import { escapeHtml } from "../util/html.ts";

/** The upload repository's id (`mdl_repository.id` of type "upload" on the kit's 4.3 site). */
export const UPLOAD_REPOSITORY_ID = 5;
/** Moodle's sesskey error, in the repository's JSON as on its error pages. */
export const INVALID_SESSKEY = "Your session has most likely timed out. Please log in again.";

interface DraftFile {
  name: string;
  bytes: number;
}

export interface UploadRequest {
  userId: number;
  sesskeyOk: boolean;
  fields: URLSearchParams;
  file?: File;
}

export class DemoAssignments {
  /** Draft areas by user and item id: a user can only fill and submit their own. */
  readonly #drafts = new Map<string, DraftFile[]>();
  #nextItemId = 500_000_000;

  constructor(private readonly counters: DemoCounters, private readonly maxBytes: number) {}

  /** The edit page's form (`<form …>` of Moodle's mod_assign_submission_form) and file manager config. */
  editForm(wwwroot: string, cmid: number, userId: number, sesskey: string): string {
    const itemid = this.#nextItemId++;
    this.#drafts.set(`${userId}:${itemid}`, []);
    const field = (name: string, value: string | number) =>
      `<input name="${name}" type="hidden" value="${escapeHtml(String(value))}" />`;
    const config = {
      itemid,
      maxbytes: String(this.maxBytes),
      maxfiles: "20",
      context: { id: 1000 + cmid, contextlevel: 70, instanceid: String(cmid) },
      filepicker: {
        repositories: {
          [UPLOAD_REPOSITORY_ID]: { id: String(UPLOAD_REPOSITORY_ID), name: "Upload a file", type: "upload" },
        },
      },
    };
    return `<form autocomplete="off" action="${wwwroot}/mod/assign/view.php" method="post" accept-charset="utf-8" ` +
      `id="mform1_demo" class="mform">` + field("lastmodified", 1796294074) + field("id", cmid) +
      field("userid", userId) + field("action", "savesubmission") + field("sesskey", sesskey) +
      field("_qf__mod_assign_submission_form", 1) +
      `<input value="${itemid}" name="files_filemanager" type="hidden" id="id_files_filemanager" />` +
      `<input type="submit" class="btn btn-primary" name="submitbutton" id="id_submitbutton" value="Save changes">` +
      `<input type="submit" class="btn btn-secondary" name="cancel" id="id_cancel" value="Cancel"></form>` +
      `<script>M.form_filemanager.init(Y, ${JSON.stringify(config)});</script>`;
  }

  /** `repository_ajax.php?action=upload`: Moodle's JSON answer (always 200). */
  upload(request: UploadRequest, wwwroot: string): unknown {
    const { fields, file } = request;
    if (!request.sesskeyOk) return { error: INVALID_SESSKEY };
    if (fields.get("repo_id") !== String(UPLOAD_REPOSITORY_ID) || !file) {
      return { error: "A required parameter (repo_upload_file) was missing", errorcode: "missingparam" };
    }
    const itemid = Number(fields.get("itemid"));
    const name = fields.get("title") || file.name;
    const formMax = Number(fields.get("maxbytes") ?? 0);
    const limit = formMax > 0 ? Math.min(formMax, this.maxBytes) : this.maxBytes;
    if (file.size > limit) {
      return {
        error: `The file ${name} is too large. The maximum size you can upload is ${limit}\u00a0bytes.`,
        errorcode: "maxbytesfile",
      };
    }
    const key = `${request.userId}:${itemid}`;
    const draft = this.#drafts.get(key) ?? [];
    this.#drafts.set(key, draft);
    this.counters.uploads++;
    const url = `${wwwroot}/draftfile.php/${request.userId}/user/draft/${itemid}/`;
    if (draft.some((f) => f.name === name)) {
      const renamed = name.replace(/(\.[^.]*)?$/, (ext) => ` (1)${ext}`);
      draft.push({ name: renamed, bytes: file.size });
      return { event: "fileexists", newfile: { filepath: "/", filename: renamed, url: url + renamed } };
    }
    draft.push({ name, bytes: file.size });
    return { url: url + encodeURIComponent(name), id: itemid, file: name };
  }

  /** `savesubmission`: the user's draft files become the submission's; how many were stored. */
  submit(userId: number, itemid: number): number {
    const key = `${userId}:${itemid}`;
    const files = this.#drafts.get(key) ?? [];
    this.#drafts.delete(key);
    this.counters.assignSubmissions++;
    this.counters.submissionFiles += files.length;
    this.counters.submissionBytes += files.reduce((sum, f) => sum + f.bytes, 0);
    const sizes = this.counters.submissionFileSizes;
    for (const file of files) sizes.set(file.bytes, (sizes.get(file.bytes) ?? 0) + 1);
    return files.length;
  }
}
