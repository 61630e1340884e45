/**
 * Generated from docs/api/openapi.json by scripts/gen-api-types.mjs (openapi-typescript): do not edit.
 * After a route changes: `.venv/bin/python scripts/gen_api_docs.py`, then `npm run gen:api` in frontend/.
 */

export interface paths {
    "/api/ast/start": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start */
        post: operations["ast-start"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/ast/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Status */
        get: operations["ast-status"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/ast/stop": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Stop */
        post: operations["ast-stop"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/ast/vocabulary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read Vocabulary
         * @description A room's hot words (a Douyin live id, or ``default`` for every other source).
         */
        get: operations["ast-read_vocabulary"];
        /**
         * Write Vocabulary
         * @description Replace a room's hot words; jobs started from now on get them (running jobs keep theirs).
         */
        put: operations["ast-write_vocabulary"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/douyin/account": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Read Account
         * @description The account as the suite will use it: `{"logged_in", "nickname", "source", "login_pending", "login_error"}`.
         */
        get: operations["douyin-read_account"];
        /**
         * Import Account
         * @description Import a cookie string after the site confirmed it holds a login session (422 when it does not).
         */
        put: operations["douyin-import_account"];
        post?: never;
        /**
         * Logout
         * @description Log out: the fetcher's browser forgets the login, the account file and the login's browser profile go.
         */
        delete: operations["douyin-logout"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/douyin/account/login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start Login
         * @description Open the login window (in the fetcher's browser); answers at once with `login_pending`.
         */
        post: operations["douyin-start_login"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/douyin/move": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Move
         * @description Move a running room to another worker by hand: the same session goes on there from its cursor. 404 for an
         *     unknown (or ended) session or a worker that is not live, 409 when the room is there already or that worker is
         *     full.
         */
        post: operations["douyin-move"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/douyin/start": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Start */
        post: operations["douyin-start"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/douyin/status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Status */
        get: operations["douyin-status"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/douyin/stop": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Stop */
        post: operations["douyin-stop"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/events/dead-letters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Dead Letters */
        get: operations["events-list_dead_letters"];
        put?: never;
        post?: never;
        /** Clear Dead Letters */
        delete: operations["events-clear_dead_letters"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/overlay/keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Keys */
        get: operations["overlay-list_keys"];
        put?: never;
        /** Create Key */
        post: operations["overlay-create_key"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/overlay/keys/{key}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /** Revoke Key */
        delete: operations["overlay-revoke_key"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/overlay/keys/{key}/style": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        /** Save Style */
        put: operations["overlay-save_style"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Sessions */
        get: operations["sessions-list_sessions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{session_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Session */
        get: operations["sessions-get_session"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{session_id}/chatters/top": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Top Chatters */
        get: operations["analytics-top_chatters"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{session_id}/comments": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Comments */
        get: operations["sessions-comments"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{session_id}/draws": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Draws */
        get: operations["draws-list_draws"];
        put?: never;
        /** Run Draw */
        post: operations["draws-run_draw"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{session_id}/draws/{draw_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Draw */
        get: operations["draws-get_draw"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{session_id}/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Export */
        get: operations["analytics-export"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{session_id}/gifts/ranking": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Gift Ranking */
        get: operations["analytics-gift_ranking"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{session_id}/hotwords": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Hot Words */
        get: operations["analytics-hot_words"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{session_id}/questions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Questions */
        get: operations["analytics-questions"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{session_id}/report": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Report */
        get: operations["analytics-report"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{session_id}/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Stats */
        get: operations["analytics-stats"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/sessions/{session_id}/transcripts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Transcripts */
        get: operations["sessions-transcripts"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Read Settings */
        get: operations["settings-read_settings"];
        /** Update Settings */
        put: operations["settings-update_settings"];
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/streamcap/burn": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Burn Status
         * @description The burn job's state and progress (the last one's outcome once it ended).
         */
        get: operations["streamcap-burn_status"];
        put?: never;
        post?: never;
        /**
         * Burn Cancel
         * @description Cancel the running burn job; its half-written copy is removed.
         */
        delete: operations["streamcap-burn_cancel"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/streamcap/recordings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Recordings
         * @description Recordings of every worker, newest first, with their files (absolute paths on the disk of each file's
         *     ``worker_id``).
         */
        get: operations["streamcap-recordings"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/streamcap/recordings/{recording_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Recording
         * @description One recording, with its files.
         */
        get: operations["streamcap-recording"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/streamcap/recordings/{recording_id}/burn": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Burn Danmaku
         * @description 烧录弹幕: render a copy of the file with its danmaku burned in (one job at a time; 409 while one runs).
         */
        post: operations["streamcap-burn_danmaku"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/streamcap/recordings/{recording_id}/subtitles": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Recording Subtitles
         * @description A recorded file's danmaku (``ass``, or plain timed lines in ``srt``/``vtt``) or the streamer's speech
         *     (``srt``/``vtt``; speech in ASS is a 422), written beside the file when missing or out of date (events stored in
         *     its window since it was written).
         */
        get: operations["streamcap-recording_subtitles"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/streamcap/start": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Start
         * @description Start recording a stream (or answer the recording that records it already, on any worker).
         */
        post: operations["streamcap-start"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/streamcap/stop": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Stop
         * @description Stop a recording wherever it runs (stopping one that ended is no error).
         */
        post: operations["streamcap-stop"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/viewers/{user_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Viewer */
        get: operations["viewers-viewer"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/workers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Workers */
        get: operations["workers-workers"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Health */
        get: operations["health-health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/overlay/{kind}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Overlay Page */
        get: operations["overlay-overlay_page"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** AccountView */
        AccountView: {
            /** Logged In */
            logged_in: boolean;
            /**
             * Login Error
             * @description why the last login window failed
             */
            login_error: string | null;
            /**
             * Login Pending
             * @description a login window is open and waiting for the QR scan
             */
            login_pending: boolean;
            /** Nickname */
            nickname: string | null;
            /** Saved At Ms */
            saved_at_ms: number | null;
            /** Source */
            source: ("browser" | "cookie") | null;
            /** User Id */
            user_id: string | null;
        };
        /** AstStart */
        AstStart: {
            audio_config: components["schemas"]["AudioConfig"];
            /** Model Config */
            model_config?: {
                [key: string]: unknown;
            };
            /**
             * Worker Id
             * @description the worker to run the job on (GET /api/workers); it still fails over to another when that worker dies, and comes back to it; default: the worker with the most free transcription slots
             */
            worker_id?: string | null;
        };
        /** AstStartResponse */
        AstStartResponse: {
            /** Session Id */
            session_id: string;
            /** Success */
            success: boolean;
        } & {
            [key: string]: unknown;
        };
        /** AstStatusResponse */
        AstStatusResponse: {
            /**
             * Jobs
             * @description the worker's jobs: session_id, state, engine, ...
             */
            jobs: {
                [key: string]: unknown;
            }[];
        } & {
            [key: string]: unknown;
        };
        /** AstStop */
        AstStop: {
            /** Session Id */
            session_id: string;
        };
        /** AudioConfig */
        AudioConfig: {
            /** Path */
            path?: string | null;
            /**
             * Save Audio
             * @default false
             */
            save_audio: boolean;
            /** Session Id */
            session_id?: string | null;
            /**
             * Source
             * @enum {string}
             */
            source: "session" | "url" | "file";
            /** Url */
            url?: string | null;
        } & {
            [key: string]: unknown;
        };
        /** BurnRequest */
        BurnRequest: {
            /**
             * File
             * @description which of the recording's files (0 = the first)
             * @default 0
             */
            file: number;
        };
        /**
         * BurnStatusResponse
         * @description The burn job (one at a time): ``percent`` from ffmpeg's progress; ``output`` the copy once ``done``.
         */
        BurnStatusResponse: {
            /** Ended Ms */
            ended_ms?: number | null;
            /**
             * Error
             * @default
             */
            error: string;
            /** File Index */
            file_index?: number | null;
            /** Output */
            output?: string | null;
            /**
             * Percent
             * @default 0
             */
            percent: number;
            /** Recording Id */
            recording_id?: string | null;
            /** Started Ms */
            started_ms?: number | null;
            /**
             * State
             * @enum {string}
             */
            state: "idle" | "running" | "done" | "failed" | "cancelled";
        };
        /** Chatter */
        Chatter: {
            /** Count */
            count: number;
            /** Nickname */
            nickname: string | null;
            /** User Id */
            user_id: string;
        };
        /** ChattersResponse */
        ChattersResponse: {
            /** Chatters */
            chatters: components["schemas"]["Chatter"][];
        };
        /** Comment */
        Comment: {
            /** Content */
            content: string;
            /**
             * Masked
             * @description a masked viewer: empty user_id, never one person
             */
            masked: boolean;
            /** Msg Id */
            msg_id: string;
            /** Ts */
            ts: number;
            /** Type */
            type: string;
            /** User Id */
            user_id: string | null;
            /** User Name */
            user_name: string | null;
        };
        /** CommentsResponse */
        CommentsResponse: {
            /** Comments */
            comments: components["schemas"]["Comment"][];
        };
        /** CookieImport */
        CookieImport: {
            /**
             * Cookie
             * @description the site's cookies: `a=b; c=d`, a Netscape cookies.txt, or a JSON list of {name, value}
             */
            cookie: string;
        };
        /** DeadLetter */
        DeadLetter: {
            /** At */
            at: number;
            /** Entry Id */
            entry_id: string;
            /** Error */
            error: string;
            /** Id */
            id: string;
            /** Payload */
            payload: string;
        };
        /** DeadLetterClear */
        DeadLetterClear: {
            /** Count */
            count: number;
            /** Removed */
            removed: number;
        };
        /** DeadLettersResponse */
        DeadLettersResponse: {
            /** Count */
            count: number;
            /** Items */
            items: components["schemas"]["DeadLetter"][];
        };
        /** DouyinMove */
        DouyinMove: {
            /** Session Id */
            session_id: string;
            /**
             * Worker Id
             * @description the live worker to run the room on from now on
             */
            worker_id: string;
        };
        /** DouyinMoveResponse */
        DouyinMoveResponse: {
            /**
             * From Worker Id
             * @description the worker that ran the room; null when none did just then
             */
            from_worker_id: string | null;
            /** Session Id */
            session_id: string;
            /** Success */
            success: boolean;
            /**
             * Worker Id
             * @description the worker the room goes to; it resumes the room within about 2 s
             */
            worker_id: string;
        };
        /** DouyinStart */
        DouyinStart: {
            /** Config */
            config?: {
                [key: string]: unknown;
            };
            /**
             * Live Id
             * @description room id (148108118778), room URL, share text copied from the app (with its v.douyin.com link) or the profile URL of a streamer who is live
             */
            live_id: string;
            /**
             * Transport
             * @description how this room connects: our own socket (direct), the room page in a browser (browser), or direct moving to the browser when refused (auto); default: TIMAO_DOUYIN_TRANSPORT
             */
            transport?: ("auto" | "direct" | "browser") | null;
            /**
             * Worker Id
             * @description the worker to run the room on (GET /api/workers); it still fails over to another when that worker dies, and comes back to it; default: the worker with the most free capacity
             */
            worker_id?: string | null;
        };
        /** DouyinStartResponse */
        DouyinStartResponse: {
            /**
             * Live Id
             * @description the room's live id, once the pasted link was followed
             */
            live_id?: string | null;
            /** Session Id */
            session_id: string;
            /** Success */
            success: boolean;
        } & {
            [key: string]: unknown;
        };
        /** DouyinStatusResponse */
        DouyinStatusResponse: {
            /**
             * Sessions
             * @description every worker's rooms: session_id, live_id, state, worker_id (the worker that runs it), ...
             */
            sessions: {
                [key: string]: unknown;
            }[];
        } & {
            [key: string]: unknown;
        };
        /** DouyinStop */
        DouyinStop: {
            /** Session Id */
            session_id: string;
        };
        /** DrawRequest */
        DrawRequest: {
            /**
             * Keyword
             * @description text a comment must contain, e.g. 扣1
             */
            keyword: string;
            /**
             * Seed
             * @description omit to get a new one
             */
            seed?: number | null;
            /** Since Ms */
            since_ms: number;
            /** Until Ms */
            until_ms: number;
            /** Winners */
            winners: number;
        };
        /**
         * DrawResponse
         * @description A draw as stored: its inputs (so it can be re-run) and its outcome.
         */
        DrawResponse: {
            /** Created Ms */
            created_ms: number;
            /** Draw Id */
            draw_id: string;
            /**
             * Entrants
             * @description distinct viewers who commented the keyword in the window
             */
            entrants: number;
            /** Keyword */
            keyword: string;
            /** Seed */
            seed: number;
            /** Session Id */
            session_id: string;
            /** Since Ms */
            since_ms: number;
            /** Until Ms */
            until_ms: number;
            /** Winners */
            winners: components["schemas"]["Winner"][];
            /** Winners Wanted */
            winners_wanted: number;
        };
        /** DrawsResponse */
        DrawsResponse: {
            /** Draws */
            draws: components["schemas"]["DrawResponse"][];
        };
        /**
         * ErrorBody
         * @description Every error answer: ``detail`` is a message (Chinese first), or the list of refused fields of a 422.
         */
        ErrorBody: {
            /**
             * Code
             * @description a worker's error code: invalid, not_found, conflict, ...; bad_command, unknown_command or bad_result when a bus command or its answer did not fit its model (docs/commands.md)
             */
            code?: string | null;
            /** Detail */
            detail: string | components["schemas"]["ValidationIssue"][];
            /**
             * Errors
             * @description the refused fields of a bus command (bad_command) or of its answer (bad_result)
             */
            errors?: components["schemas"]["ValidationIssue"][] | null;
            /**
             * Service
             * @description the worker that is not running or did not answer
             */
            service?: string | null;
        };
        /** GiftRank */
        GiftRank: {
            /** Diamonds */
            diamonds: number;
            /** Gifts */
            gifts: number;
            /** Nickname */
            nickname: string | null;
            /** User Id */
            user_id: string;
        };
        /** GiftRankingResponse */
        GiftRankingResponse: {
            /** Ranking */
            ranking: components["schemas"]["GiftRank"][];
        };
        /** HTTPValidationError */
        HTTPValidationError: {
            /** Detail */
            detail?: components["schemas"]["ValidationError"][];
        };
        /** HealthResponse */
        HealthResponse: {
            /**
             * Proof
             * @description present when `challenge` was given
             */
            proof?: string | null;
            /** Reason */
            reason: string | null;
            /** Redis */
            redis: boolean;
            /**
             * Services
             * @description the launcher's view of each service, and the gateway's
             */
            services: {
                [key: string]: {
                    [key: string]: unknown;
                };
            };
            /**
             * Status
             * @enum {string}
             */
            status: "ok" | "degraded";
        };
        /** HotWord */
        HotWord: {
            /** Count */
            count: number;
            /** Word */
            word: string;
        };
        /** HotWordsResponse */
        HotWordsResponse: {
            /** Window */
            window: number;
            /** Words */
            words: components["schemas"]["HotWord"][];
        };
        /** KeyCreate */
        KeyCreate: {
            /**
             * Name
             * @description a label for the list, e.g. 直播间左下
             * @default OBS
             */
            name: string;
            style?: components["schemas"]["OverlayStyle"] | null;
        };
        /** KeyRevoked */
        KeyRevoked: {
            /**
             * Closed Streams
             * @description overlay pages that were open with the key and are now closed
             */
            closed_streams: number;
            /** Key */
            key: string;
            /** Revoked */
            revoked: boolean;
        };
        /** LoginStart */
        LoginStart: {
            /**
             * Timeout S
             * @description how long the login window waits
             * @default 300
             */
            timeout_s: number;
        };
        /** OverlayKeyView */
        OverlayKeyView: {
            /** Created Ms */
            created_ms: number;
            /** Key */
            key: string;
            /** Name */
            name: string;
            style: components["schemas"]["OverlayStyle"];
            /**
             * Url
             * @description the chat overlay's address with this key, ready for an OBS browser source
             */
            url: string;
            /**
             * Urls
             * @description every overlay kind's address with this key
             */
            urls: {
                [key: string]: string;
            };
        };
        /** OverlayKeysResponse */
        OverlayKeysResponse: {
            /** Keys */
            keys: components["schemas"]["OverlayKeyView"][];
        };
        /**
         * OverlayStyle
         * @description How the overlay pages of one key look. The UI's style editor edits exactly these fields.
         */
        OverlayStyle: {
            /**
             * Accent Color
             * @description gifts and thanks
             * @default #ff7aa8
             */
            accent_color: string;
            /**
             * Events
             * @description what the chat overlay shows
             */
            events?: ("chat" | "gift" | "follow" | "fansclub" | "member" | "like")[];
            /**
             * Fade S
             * @description a row leaves after this long; 0 = never
             * @default 30
             */
            fade_s: number;
            /**
             * Font Size
             * @description px
             * @default 26
             */
            font_size: number;
            /**
             * Name Color
             * @default #ffd54f
             */
            name_color: string;
            /**
             * Row Color
             * @description behind each row
             * @default #000000
             */
            row_color: string;
            /**
             * Row Opacity
             * @default 0.35
             */
            row_opacity: number;
            /**
             * Rows
             * @description rows shown at most
             * @default 8
             */
            rows: number;
            /**
             * Text Color
             * @default #ffffff
             */
            text_color: string;
            /**
             * Thanks Window S
             * @description one viewer's gifts within this merge
             * @default 5
             */
            thanks_window_s: number;
        };
        /** Question */
        Question: {
            /** Content */
            content: string;
            /** Msg Id */
            msg_id: string;
            /** Ts */
            ts: number;
            /** User Id */
            user_id: string | null;
            /** User Name */
            user_name: string | null;
        };
        /** QuestionsResponse */
        QuestionsResponse: {
            /** Questions */
            questions: components["schemas"]["Question"][];
        };
        /**
         * Recording
         * @description A recording as every API shows it: its stored row, brought up to date by its recorder where it runs.
         */
        Recording: {
            /**
             * Bytes
             * @description bytes over all files
             */
            bytes: number;
            /**
             * Duration
             * @description seconds over all files
             */
            duration: number;
            /**
             * Ended At
             * @description ISO 8601
             */
            ended_at?: string | null;
            /** Files */
            files: components["schemas"]["RecordingFile"][];
            /** Folder */
            folder: string;
            /** Platform */
            platform: string;
            /** Quality */
            quality?: string | null;
            /**
             * Reason
             * @description why it stopped, failed or waits
             * @default
             */
            reason: string;
            /** Recording Id */
            recording_id: string;
            /**
             * Restarts
             * @default 0
             */
            restarts: number;
            /**
             * Resumed
             * @description continued after a crash or restart (resuming until data flows)
             * @default false
             */
            resumed: boolean;
            /**
             * Room Id
             * @description the StreamCap room it records for, if any
             */
            room_id?: string | null;
            /** Segment Seconds */
            segment_seconds: number;
            /**
             * Source
             * @description what is recorded: the room or stream URL
             */
            source: string;
            /**
             * Speed
             * @description ffmpeg's speed (1.0 = real time) while it records
             * @default 0
             */
            speed: number;
            /**
             * Started At
             * @description ISO 8601
             */
            started_at?: string | null;
            /**
             * State
             * @description starting, recording, stalled, restarting, stopping, remuxing, done, failed, ...
             */
            state: string;
            /**
             * Worker Id
             * @description the worker that runs it, or ran its last segment (null: before workers were named)
             */
            worker_id?: string | null;
        };
        /**
         * RecordingFile
         * @description One file of a recording: a TS segment while it records, its MP4 once remuxed.
         */
        RecordingFile: {
            /**
             * Duration
             * @description seconds
             */
            duration: number;
            /**
             * Kind
             * @description ts or mp4
             * @default ts
             */
            kind: string;
            /**
             * Path
             * @description absolute, on the disk of the worker named in worker_id
             */
            path: string;
            /**
             * Size
             * @description bytes
             */
            size: number;
            /**
             * Worker Id
             * @description whose disk holds it (null: before workers were named)
             */
            worker_id?: string | null;
        };
        /** RecordingStartResponse */
        RecordingStartResponse: {
            /** Recording Id */
            recording_id: string;
            /** Success */
            success: boolean;
        };
        /**
         * RecordingsResponse
         * @description Recordings of every worker, newest first (``Recording``: the shape StreamCap's API and commands answer too).
         */
        RecordingsResponse: {
            /** Recordings */
            recordings: components["schemas"]["Recording"][];
        };
        /** SessionInfo */
        SessionInfo: {
            /** Anchor */
            anchor: string | null;
            /** Ended At */
            ended_at: string | null;
            /** Id */
            id: string;
            /** Live Id */
            live_id: string | null;
            /** Metadata */
            metadata: {
                [key: string]: unknown;
            };
            /** Platform */
            platform: string;
            /** Room Id */
            room_id: string | null;
            /** Session Id */
            session_id: string;
            /** Started At */
            started_at: string | null;
            /** Status */
            status: string;
            /** Title */
            title: string | null;
        };
        /** SessionsResponse */
        SessionsResponse: {
            /** Sessions */
            sessions: components["schemas"]["SessionInfo"][];
        };
        /** SettingsUpdate */
        SettingsUpdate: {
            /** Ast Engine */
            ast_engine?: ("whisper" | "sensevoice" | "funasr") | null;
            /** Ast Model */
            ast_model?: string | null;
            /** Gateway Port */
            gateway_port?: number | null;
            /** Log Level */
            log_level?: ("DEBUG" | "INFO" | "WARNING" | "ERROR") | null;
            /** Recording Quality */
            recording_quality?: ("origin" | "FULL_HD1" | "HD1" | "SD1" | "SD2") | null;
            /** Recordings Dir */
            recordings_dir?: string | null;
            /** Streamcap Port */
            streamcap_port?: number | null;
        };
        /**
         * SettingsView
         * @description The settings the UI may see (never the token); ``restart_required`` lists edits waiting for a restart.
         */
        SettingsView: {
            /** Recordings Dir */
            recordings_dir: string;
            /** Restart Required */
            restart_required: string[];
        } & {
            [key: string]: unknown;
        };
        /** StatsPoint */
        StatsPoint: {
            /**
             * Chatters
             * @description viewers who commented for the first time in the show in this bucket
             */
            chatters: number;
            /** Comments */
            comments: number;
            /** Diamonds */
            diamonds: number;
            /** Follows */
            follows: number;
            /** Gifts */
            gifts: number;
            /** Likes */
            likes: number;
            /** Members */
            members: number;
            /** Online */
            online: number | null;
            /** Online Max */
            online_max: number | null;
            /** Shares */
            shares: number;
            /**
             * T
             * @description bucket start, ms since the epoch
             */
            t: number;
        };
        /** StatsResponse */
        StatsResponse: {
            /** Resolution */
            resolution: number;
            /** Series */
            series: components["schemas"]["StatsPoint"][];
            totals: components["schemas"]["StatsTotals"];
        };
        /** StatsTotals */
        StatsTotals: {
            /** Chatters */
            chatters: number;
            /** Comments */
            comments: number;
            /** Diamonds */
            diamonds: number;
            /** Follows */
            follows: number;
            /** Gifts */
            gifts: number;
            /** Likes */
            likes: number;
            /** Members */
            members: number;
            /** Online */
            online: number | null;
            /** Peak Online */
            peak_online: number | null;
            /** Shares */
            shares: number;
        } & {
            [key: string]: unknown;
        };
        /** StreamcapStart */
        StreamcapStart: {
            /**
             * Platform
             * @description douyin (a room URL or id), direct (an FLV/HLS URL), or a platform streamlink knows
             */
            platform: string;
            /**
             * Quality
             * @description default: the recording_quality setting
             */
            quality?: string | null;
            /** Segment Seconds */
            segment_seconds?: number | null;
            /** Stream Url */
            stream_url: string;
            /**
             * Worker Id
             * @description the worker to record on (404 when it is not live); else the one with the most free capacity
             */
            worker_id?: string | null;
        };
        /** StreamcapStop */
        StreamcapStop: {
            /** Recording Id */
            recording_id: string;
        };
        /** SuccessResponse */
        SuccessResponse: {
            /** Success */
            success: boolean;
        };
        /** Transcript */
        Transcript: {
            /** Audio File Path */
            audio_file_path: string | null;
            /** Confidence */
            confidence: number | null;
            /** End Ms */
            end_ms: number | null;
            /** Language */
            language: string | null;
            /** Start Ms */
            start_ms: number | null;
            /** Text */
            text: string;
        };
        /** TranscriptsResponse */
        TranscriptsResponse: {
            /** Transcripts */
            transcripts: components["schemas"]["Transcript"][];
        };
        /** ValidationError */
        ValidationError: {
            /** Context */
            ctx?: Record<string, never>;
            /** Input */
            input?: unknown;
            /** Location */
            loc: (string | number)[];
            /** Message */
            msg: string;
            /** Error Type */
            type: string;
        };
        /**
         * ValidationIssue
         * @description One refused field (``shared.websec.trim_validation_errors``): where, why, and a short scalar input.
         */
        ValidationIssue: {
            /** Ctx */
            ctx?: {
                [key: string]: unknown;
            } | null;
            /** Input */
            input?: unknown;
            /** Loc */
            loc: (string | number)[];
            /** Msg */
            msg: string;
            /** Type */
            type: string;
        };
        /** ViewerComment */
        ViewerComment: {
            /** Content */
            content: string;
            /** Msg Id */
            msg_id: string;
            /** Session Id */
            session_id: string;
            /** Ts */
            ts: number;
        };
        /** ViewerFollow */
        ViewerFollow: {
            /** Session Id */
            session_id: string;
            /** Ts */
            ts: number;
        };
        /** ViewerGift */
        ViewerGift: {
            /** Count */
            count: number;
            /** Diamonds */
            diamonds: number;
            /** Gift Name */
            gift_name: string;
            /** Msg Id */
            msg_id: string;
            /** Session Id */
            session_id: string;
            /** Ts */
            ts: number;
        };
        /**
         * ViewerResponse
         * @description Every session the viewer appeared in (oldest first); their latest comments, gifts and follows (newest first).
         */
        ViewerResponse: {
            /** Comments */
            comments: components["schemas"]["ViewerComment"][];
            /**
             * Diamonds
             * @description diamonds of the listed gifts
             */
            diamonds: number;
            /** First Seen */
            first_seen: number;
            /** Follows */
            follows: components["schemas"]["ViewerFollow"][];
            /** Gifts */
            gifts: components["schemas"]["ViewerGift"][];
            /** Last Seen */
            last_seen: number;
            /** Nickname */
            nickname: string;
            /** Sessions */
            sessions: components["schemas"]["ViewerSession"][];
            /** User Id */
            user_id: string;
        };
        /** ViewerSession */
        ViewerSession: {
            /** Anchor Name */
            anchor_name: string | null;
            /** Comments */
            comments: number;
            /** First Ts */
            first_ts: number;
            /** Gift Messages */
            gift_messages: number;
            /** Last Ts */
            last_ts: number;
            /** Live Id */
            live_id: string | null;
            /** Session Id */
            session_id: string;
            /** Title */
            title: string | null;
        };
        /** Vocabulary */
        Vocabulary: {
            /**
             * Room
             * @default default
             */
            room: string;
            /** Words */
            words: string[];
        };
        /** VocabularyResponse */
        VocabularyResponse: {
            /** Room */
            room: string;
            /** Words */
            words: string[];
        };
        /** Winner */
        Winner: {
            /** Nickname */
            nickname: string;
            /** User Id */
            user_id: string;
        };
        /** WorkerView */
        WorkerView: {
            /**
             * Capacity
             * @description how many rooms it takes (TIMAO_WORKER_ROOMS_MAX)
             */
            capacity: number;
            /**
             * Heartbeat At
             * @description the worker's last record, ISO 8601 UTC
             */
            heartbeat_at: string;
            /** Host */
            host: string;
            /** Jobs */
            jobs: string[];
            /** Recordings */
            recordings: string[];
            /**
             * Rooms
             * @description session ids of the rooms this worker runs
             */
            rooms: string[];
            /**
             * Services
             * @description its services that report (douyin_fetcher, ast, ...)
             */
            services: string[];
            /** Worker Id */
            worker_id: string;
        };
        /** WorkersResponse */
        WorkersResponse: {
            /** Workers */
            workers: components["schemas"]["WorkerView"][];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    "ast-start": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AstStart"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AstStartResponse"];
                };
            };
            /** @description 请求无效 (bad request): a body that is not JSON, a path that cannot be forwarded */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 冲突 (conflict with the current state) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 上游或服务出错 (the worker or the upstream site failed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务无响应 (the worker did not answer in time) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "ast-status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AstStatusResponse"];
                };
            };
            /** @description 上游或服务出错 (the worker or the upstream site failed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务无响应 (the worker did not answer in time) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "ast-stop": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AstStop"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SuccessResponse"];
                };
            };
            /** @description 请求无效 (bad request): a body that is not JSON, a path that cannot be forwarded */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 冲突 (conflict with the current state) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 上游或服务出错 (the worker or the upstream site failed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务无响应 (the worker did not answer in time) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "ast-read_vocabulary": {
        parameters: {
            query?: {
                room?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VocabularyResponse"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "ast-write_vocabulary": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["Vocabulary"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["VocabularyResponse"];
                };
            };
            /** @description 请求无效 (bad request): a body that is not JSON, a path that cannot be forwarded */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "douyin-read_account": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AccountView"];
                };
            };
        };
    };
    "douyin-import_account": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CookieImport"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AccountView"];
                };
            };
            /** @description 请求无效 (bad request): a body that is not JSON, a path that cannot be forwarded */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 上游或服务出错 (the worker or the upstream site failed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "douyin-logout": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AccountView"];
                };
            };
            /** @description 冲突 (conflict with the current state) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "douyin-start_login": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": components["schemas"]["LoginStart"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AccountView"];
                };
            };
            /** @description 请求无效 (bad request): a body that is not JSON, a path that cannot be forwarded */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 冲突 (conflict with the current state) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 上游或服务出错 (the worker or the upstream site failed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务无响应 (the worker did not answer in time) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "douyin-move": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DouyinMove"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DouyinMoveResponse"];
                };
            };
            /** @description 请求无效 (bad request): a body that is not JSON, a path that cannot be forwarded */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 冲突 (conflict with the current state) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 上游或服务出错 (the worker or the upstream site failed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务无响应 (the worker did not answer in time) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "douyin-start": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DouyinStart"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DouyinStartResponse"];
                };
            };
            /** @description 请求无效 (bad request): a body that is not JSON, a path that cannot be forwarded */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 冲突 (conflict with the current state) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 上游或服务出错 (the worker or the upstream site failed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务无响应 (the worker did not answer in time) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "douyin-status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DouyinStatusResponse"];
                };
            };
            /** @description 上游或服务出错 (the worker or the upstream site failed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务无响应 (the worker did not answer in time) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "douyin-stop": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DouyinStop"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SuccessResponse"];
                };
            };
            /** @description 请求无效 (bad request): a body that is not JSON, a path that cannot be forwarded */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 冲突 (conflict with the current state) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 上游或服务出错 (the worker or the upstream site failed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务无响应 (the worker did not answer in time) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "events-list_dead_letters": {
        parameters: {
            query?: {
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeadLettersResponse"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "events-clear_dead_letters": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeadLetterClear"];
                };
            };
        };
    };
    "overlay-list_keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OverlayKeysResponse"];
                };
            };
        };
    };
    "overlay-create_key": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["KeyCreate"];
            };
        };
        responses: {
            /** @description Successful Response */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OverlayKeyView"];
                };
            };
            /** @description 请求无效 (bad request): a body that is not JSON, a path that cannot be forwarded */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 冲突 (conflict with the current state) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "overlay-revoke_key": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["KeyRevoked"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "overlay-save_style": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                key: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OverlayStyle"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OverlayKeyView"];
                };
            };
            /** @description 请求无效 (bad request): a body that is not JSON, a path that cannot be forwarded */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "sessions-list_sessions": {
        parameters: {
            query?: {
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionsResponse"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "sessions-get_session": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                session_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SessionInfo"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "analytics-top_chatters": {
        parameters: {
            query?: {
                limit?: number;
            };
            header?: never;
            path: {
                session_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ChattersResponse"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "sessions-comments": {
        parameters: {
            query?: {
                limit?: number;
                /** @description only comments older than this ts (ms) */
                before?: number | null;
                q?: string | null;
            };
            header?: never;
            path: {
                session_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommentsResponse"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "draws-list_draws": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                session_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DrawsResponse"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "draws-run_draw": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                session_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DrawRequest"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DrawResponse"];
                };
            };
            /** @description 请求无效 (bad request): a body that is not JSON, a path that cannot be forwarded */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "draws-get_draw": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                session_id: string;
                draw_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DrawResponse"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "analytics-export": {
        parameters: {
            query?: {
                format?: "jsonl" | "csv";
                kind?: "comments" | "gifts" | "transcripts";
            };
            header?: never;
            path: {
                session_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description one row per line */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/x-ndjson": unknown;
                    "text/csv": unknown;
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "analytics-gift_ranking": {
        parameters: {
            query?: {
                limit?: number;
            };
            header?: never;
            path: {
                session_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["GiftRankingResponse"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "analytics-hot_words": {
        parameters: {
            query?: {
                /** @description seconds before the latest comment */
                window?: number;
                limit?: number;
            };
            header?: never;
            path: {
                session_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HotWordsResponse"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "analytics-questions": {
        parameters: {
            query?: {
                limit?: number;
            };
            header?: never;
            path: {
                session_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["QuestionsResponse"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "analytics-report": {
        parameters: {
            query?: {
                format?: "html" | "pdf";
                download?: boolean;
            };
            header?: never;
            path: {
                session_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the report, as HTML or PDF */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/pdf": unknown;
                    "text/html": string;
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "analytics-stats": {
        parameters: {
            query?: {
                /** @description bucket size in seconds (whole minutes) */
                resolution?: number;
            };
            header?: never;
            path: {
                session_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StatsResponse"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "sessions-transcripts": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                session_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TranscriptsResponse"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "settings-read_settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SettingsView"];
                };
            };
        };
    };
    "settings-update_settings": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SettingsUpdate"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SettingsView"];
                };
            };
            /** @description 请求无效 (bad request): a body that is not JSON, a path that cannot be forwarded */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "streamcap-burn_status": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BurnStatusResponse"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "streamcap-burn_cancel": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BurnStatusResponse"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "streamcap-recordings": {
        parameters: {
            query?: {
                /** @description the newest first */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RecordingsResponse"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
            /** @description 上游或服务出错 (the worker or the upstream site failed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务无响应 (the worker did not answer in time) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "streamcap-recording": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                recording_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Recording"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
            /** @description 上游或服务出错 (the worker or the upstream site failed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务无响应 (the worker did not answer in time) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "streamcap-burn_danmaku": {
        parameters: {
            query?: never;
            header?: never;
            path: {
                recording_id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["BurnRequest"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["BurnStatusResponse"];
                };
            };
            /** @description 请求无效 (bad request): a body that is not JSON, a path that cannot be forwarded */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 冲突 (conflict with the current state) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
            /** @description 上游或服务出错 (the worker or the upstream site failed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务无响应 (the worker did not answer in time) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "streamcap-recording_subtitles": {
        parameters: {
            query: {
                kind: "danmaku" | "speech";
                format: "ass" | "srt" | "vtt";
                /** @description which of the recording's files (0 = the first) */
                file?: number;
            };
            header?: never;
            path: {
                recording_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the subtitle file */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/x-subrip": unknown;
                    "text/vtt": unknown;
                    "text/x-ssa": unknown;
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 冲突 (conflict with the current state) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 上游或服务出错 (the worker or the upstream site failed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务无响应 (the worker did not answer in time) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "streamcap-start": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StreamcapStart"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["RecordingStartResponse"];
                };
            };
            /** @description 请求无效 (bad request): a body that is not JSON, a path that cannot be forwarded */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 冲突 (conflict with the current state) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 上游或服务出错 (the worker or the upstream site failed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务无响应 (the worker did not answer in time) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 磁盘空间不足 (the recording disk is below its free-space minimum) */
            507: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "streamcap-stop": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StreamcapStop"];
            };
        };
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SuccessResponse"];
                };
            };
            /** @description 请求无效 (bad request): a body that is not JSON, a path that cannot be forwarded */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 冲突 (conflict with the current state) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 上游或服务出错 (the worker or the upstream site failed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务无响应 (the worker did not answer in time) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "viewers-viewer": {
        parameters: {
            query?: {
                /** @description most recent comments / gifts / follows listed */
                limit?: number;
            };
            header?: never;
            path: {
                user_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ViewerResponse"];
                };
            };
            /** @description 不存在 (not found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "workers-workers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WorkersResponse"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "health-health": {
        parameters: {
            query?: {
                /** @description a fresh random nonce (16-128 of A-Z a-z 0-9 _ -); the answer then carries `proof`, hex HMAC-SHA256 under the token of `timao/hello/v1\n<gateway port>\n<nonce>` */
                challenge?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HealthResponse"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    "overlay-overlay_page": {
        parameters: {
            query?: {
                /** @description a read-only overlay key */
                key?: string | null;
            };
            header?: never;
            path: {
                kind: "chat" | "gifts" | "stats" | "thanks";
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the overlay page (no secret in it) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/html": string;
                };
            };
            /** @description 缺少或错误的密钥 (missing or unknown key) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 已撤销或被拒绝 (revoked, or refused) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 参数无效 (invalid input): a message, or the list of refused fields */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description 服务未运行或不可用 (the worker, the bus or a tool is not available) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
}
