// Snowball stemmers, from the npm package snowball-stemmers 0.6.0 (a JavaScript build of
// the Snowball algorithms, https://github.com/mazko/jssnowball); see LICENSE beside this file.
// Cut into one script per language by tools/vendor_snowball.py.
(function (shared) {
    'use strict';
    var _typeof = shared._typeof;
    var _possibleConstructorReturn = shared._possibleConstructorReturn;
    var _inherits = shared._inherits;
    var _classCallCheck = shared._classCallCheck;
    var _createClass = shared._createClass;
    var _get = shared._get;
    var StringBuffer = shared.StringBuffer;
    var StringBuilder = shared.StringBuilder;
    var Among = shared.Among;
    var SnowballProgram = shared.SnowballProgram;
    var SnowballStemmer = shared.SnowballStemmer;

    var finnishStemmer = function (_SnowballStemmer9) {
        _inherits(finnishStemmer, _SnowballStemmer9);

        function finnishStemmer() {
            _classCallCheck(this, finnishStemmer);

            return _possibleConstructorReturn(this, Object.getPrototypeOf(finnishStemmer).apply(this, arguments));
        }

        _createClass(finnishStemmer, [{
            key: 'r_mark_regions$esjava$0',
            value: function r_mark_regions$esjava$0() {
                var v_1 = undefined;
                var v_3 = undefined;
                this.I_p1 = this.limit;
                this.I_p2 = this.limit;

                golab0: while (true) {
                    v_1 = this.cursor;

                    lab1: do {
                        if (!this.in_grouping$esjava$3(finnishStemmer.g_V1, 97, 246)) {
                            break lab1;
                        }

                        this.cursor = v_1;
                        break golab0;
                    } while (false);

                    this.cursor = v_1;

                    if (this.cursor >= this.limit) {
                        return false;
                    }

                    this.cursor++;
                }

                golab2: while (true) {
                    lab3: do {
                        if (!this.out_grouping$esjava$3(finnishStemmer.g_V1, 97, 246)) {
                            break lab3;
                        }

                        break golab2;
                    } while (false);

                    if (this.cursor >= this.limit) {
                        return false;
                    }

                    this.cursor++;
                }

                this.I_p1 = this.cursor;

                golab4: while (true) {
                    v_3 = this.cursor;

                    lab5: do {
                        if (!this.in_grouping$esjava$3(finnishStemmer.g_V1, 97, 246)) {
                            break lab5;
                        }

                        this.cursor = v_3;
                        break golab4;
                    } while (false);

                    this.cursor = v_3;

                    if (this.cursor >= this.limit) {
                        return false;
                    }

                    this.cursor++;
                }

                golab6: while (true) {
                    lab7: do {
                        if (!this.out_grouping$esjava$3(finnishStemmer.g_V1, 97, 246)) {
                            break lab7;
                        }

                        break golab6;
                    } while (false);

                    if (this.cursor >= this.limit) {
                        return false;
                    }

                    this.cursor++;
                }

                this.I_p2 = this.cursor;
                return true;
            }
        }, {
            key: 'r_R2$esjava$0',
            value: function r_R2$esjava$0() {
                if (!(this.I_p2 <= this.cursor)) {
                    return false;
                }

                return true;
            }
        }, {
            key: 'r_particle_etc$esjava$0',
            value: function r_particle_etc$esjava$0() {
                var among_var = undefined;
                var v_1 = undefined;
                var v_2 = undefined;
                v_1 = this.limit - this.cursor;

                if (this.cursor < this.I_p1) {
                    return false;
                }

                this.cursor = this.I_p1;
                v_2 = this.limit_backward;
                this.limit_backward = this.cursor;
                this.cursor = this.limit - v_1;
                this.ket = this.cursor;
                among_var = this.find_among_b$esjava$1(finnishStemmer.a_0);

                if (among_var === 0) {
                    this.limit_backward = v_2;
                    return false;
                }

                this.bra = this.cursor;
                this.limit_backward = v_2;

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        if (!this.in_grouping_b$esjava$3(finnishStemmer.g_particle_end, 97, 246)) {
                            return false;
                        }

                        break;

                    case 2:
                        if (!this.r_R2$esjava$0()) {
                            return false;
                        }

                        break;
                }

                this.slice_del$esjava$0();
                return true;
            }
        }, {
            key: 'r_possessive$esjava$0',
            value: function r_possessive$esjava$0() {
                var among_var = undefined;
                var v_1 = undefined;
                var v_2 = undefined;
                var v_3 = undefined;
                v_1 = this.limit - this.cursor;

                if (this.cursor < this.I_p1) {
                    return false;
                }

                this.cursor = this.I_p1;
                v_2 = this.limit_backward;
                this.limit_backward = this.cursor;
                this.cursor = this.limit - v_1;
                this.ket = this.cursor;
                among_var = this.find_among_b$esjava$1(finnishStemmer.a_4);

                if (among_var === 0) {
                    this.limit_backward = v_2;
                    return false;
                }

                this.bra = this.cursor;
                this.limit_backward = v_2;

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        {
                            v_3 = this.limit - this.cursor;

                            lab0: do {
                                if (!this.eq_s_b$esjava$1("k")) {
                                    break lab0;
                                }

                                return false;
                            } while (false);

                            this.cursor = this.limit - v_3;
                        }
                        this.slice_del$esjava$0();
                        break;

                    case 2:
                        this.slice_del$esjava$0();
                        this.ket = this.cursor;

                        if (!this.eq_s_b$esjava$1("kse")) {
                            return false;
                        }

                        this.bra = this.cursor;
                        this.slice_from$esjava$1("ksi");
                        break;

                    case 3:
                        this.slice_del$esjava$0();
                        break;

                    case 4:
                        if (this.find_among_b$esjava$1(finnishStemmer.a_1) === 0) {
                            return false;
                        }

                        this.slice_del$esjava$0();
                        break;

                    case 5:
                        if (this.find_among_b$esjava$1(finnishStemmer.a_2) === 0) {
                            return false;
                        }

                        this.slice_del$esjava$0();
                        break;

                    case 6:
                        if (this.find_among_b$esjava$1(finnishStemmer.a_3) === 0) {
                            return false;
                        }

                        this.slice_del$esjava$0();
                        break;
                }

                return true;
            }
        }, {
            key: 'r_LONG$esjava$0',
            value: function r_LONG$esjava$0() {
                if (this.find_among_b$esjava$1(finnishStemmer.a_5) === 0) {
                    return false;
                }

                return true;
            }
        }, {
            key: 'r_VI$esjava$0',
            value: function r_VI$esjava$0() {
                if (!this.eq_s_b$esjava$1("i")) {
                    return false;
                }

                if (!this.in_grouping_b$esjava$3(finnishStemmer.g_V2, 97, 246)) {
                    return false;
                }

                return true;
            }
        }, {
            key: 'r_case_ending$esjava$0',
            value: function r_case_ending$esjava$0() {
                var among_var = undefined;
                var v_1 = undefined;
                var v_2 = undefined;
                var v_3 = undefined;
                var v_4 = undefined;
                var v_5 = undefined;
                v_1 = this.limit - this.cursor;

                if (this.cursor < this.I_p1) {
                    return false;
                }

                this.cursor = this.I_p1;
                v_2 = this.limit_backward;
                this.limit_backward = this.cursor;
                this.cursor = this.limit - v_1;
                this.ket = this.cursor;
                among_var = this.find_among_b$esjava$1(this.a_6);

                if (among_var === 0) {
                    this.limit_backward = v_2;
                    return false;
                }

                this.bra = this.cursor;
                this.limit_backward = v_2;

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        if (!this.eq_s_b$esjava$1("a")) {
                            return false;
                        }

                        break;

                    case 2:
                        if (!this.eq_s_b$esjava$1("e")) {
                            return false;
                        }

                        break;

                    case 3:
                        if (!this.eq_s_b$esjava$1("i")) {
                            return false;
                        }

                        break;

                    case 4:
                        if (!this.eq_s_b$esjava$1("o")) {
                            return false;
                        }

                        break;

                    case 5:
                        if (!this.eq_s_b$esjava$1('\u00E4')) {
                            return false;
                        }

                        break;

                    case 6:
                        if (!this.eq_s_b$esjava$1('\u00F6')) {
                            return false;
                        }

                        break;

                    case 7:
                        v_3 = this.limit - this.cursor;

                        lab0: do {
                            v_4 = this.limit - this.cursor;

                            lab1: do {
                                v_5 = this.limit - this.cursor;

                                lab2: do {
                                    if (!this.r_LONG$esjava$0()) {
                                        break lab2;
                                    }

                                    break lab1;
                                } while (false);

                                this.cursor = this.limit - v_5;

                                if (!this.eq_s_b$esjava$1("ie")) {
                                    this.cursor = this.limit - v_3;
                                    break lab0;
                                }
                            } while (false);

                            this.cursor = this.limit - v_4;

                            if (this.cursor <= this.limit_backward) {
                                this.cursor = this.limit - v_3;
                                break lab0;
                            }

                            this.cursor--;
                            this.bra = this.cursor;
                        } while (false);

                        break;

                    case 8:
                        if (!this.in_grouping_b$esjava$3(finnishStemmer.g_V1, 97, 246)) {
                            return false;
                        }

                        if (!this.out_grouping_b$esjava$3(finnishStemmer.g_V1, 97, 246)) {
                            return false;
                        }

                        break;

                    case 9:
                        if (!this.eq_s_b$esjava$1("e")) {
                            return false;
                        }

                        break;
                }

                this.slice_del$esjava$0();
                this.B_ending_removed = true;
                return true;
            }
        }, {
            key: 'r_other_endings$esjava$0',
            value: function r_other_endings$esjava$0() {
                var among_var = undefined;
                var v_1 = undefined;
                var v_2 = undefined;
                var v_3 = undefined;
                v_1 = this.limit - this.cursor;

                if (this.cursor < this.I_p2) {
                    return false;
                }

                this.cursor = this.I_p2;
                v_2 = this.limit_backward;
                this.limit_backward = this.cursor;
                this.cursor = this.limit - v_1;
                this.ket = this.cursor;
                among_var = this.find_among_b$esjava$1(finnishStemmer.a_7);

                if (among_var === 0) {
                    this.limit_backward = v_2;
                    return false;
                }

                this.bra = this.cursor;
                this.limit_backward = v_2;

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        {
                            v_3 = this.limit - this.cursor;

                            lab0: do {
                                if (!this.eq_s_b$esjava$1("po")) {
                                    break lab0;
                                }

                                return false;
                            } while (false);

                            this.cursor = this.limit - v_3;
                        }
                        break;
                }

                this.slice_del$esjava$0();
                return true;
            }
        }, {
            key: 'r_i_plural$esjava$0',
            value: function r_i_plural$esjava$0() {
                var v_1 = undefined;
                var v_2 = undefined;
                v_1 = this.limit - this.cursor;

                if (this.cursor < this.I_p1) {
                    return false;
                }

                this.cursor = this.I_p1;
                v_2 = this.limit_backward;
                this.limit_backward = this.cursor;
                this.cursor = this.limit - v_1;
                this.ket = this.cursor;

                if (this.find_among_b$esjava$1(finnishStemmer.a_8) === 0) {
                    this.limit_backward = v_2;
                    return false;
                }

                this.bra = this.cursor;
                this.limit_backward = v_2;
                this.slice_del$esjava$0();
                return true;
            }
        }, {
            key: 'r_t_plural$esjava$0',
            value: function r_t_plural$esjava$0() {
                var among_var = undefined;
                var v_1 = undefined;
                var v_2 = undefined;
                var v_3 = undefined;
                var v_4 = undefined;
                var v_5 = undefined;
                var v_6 = undefined;
                v_1 = this.limit - this.cursor;

                if (this.cursor < this.I_p1) {
                    return false;
                }

                this.cursor = this.I_p1;
                v_2 = this.limit_backward;
                this.limit_backward = this.cursor;
                this.cursor = this.limit - v_1;
                this.ket = this.cursor;

                if (!this.eq_s_b$esjava$1("t")) {
                    this.limit_backward = v_2;
                    return false;
                }

                this.bra = this.cursor;
                v_3 = this.limit - this.cursor;

                if (!this.in_grouping_b$esjava$3(finnishStemmer.g_V1, 97, 246)) {
                    this.limit_backward = v_2;
                    return false;
                }

                this.cursor = this.limit - v_3;
                this.slice_del$esjava$0();
                this.limit_backward = v_2;
                v_4 = this.limit - this.cursor;

                if (this.cursor < this.I_p2) {
                    return false;
                }

                this.cursor = this.I_p2;
                v_5 = this.limit_backward;
                this.limit_backward = this.cursor;
                this.cursor = this.limit - v_4;
                this.ket = this.cursor;
                among_var = this.find_among_b$esjava$1(finnishStemmer.a_9);

                if (among_var === 0) {
                    this.limit_backward = v_5;
                    return false;
                }

                this.bra = this.cursor;
                this.limit_backward = v_5;

                switch (among_var) {
                    case 0:
                        return false;

                    case 1:
                        {
                            v_6 = this.limit - this.cursor;

                            lab0: do {
                                if (!this.eq_s_b$esjava$1("po")) {
                                    break lab0;
                                }

                                return false;
                            } while (false);

                            this.cursor = this.limit - v_6;
                        }
                        break;
                }

                this.slice_del$esjava$0();
                return true;
            }
        }, {
            key: 'r_tidy$esjava$0',
            value: function r_tidy$esjava$0() {
                var v_1 = undefined;
                var v_2 = undefined;
                var v_3 = undefined;
                var v_4 = undefined;
                var v_5 = undefined;
                var v_6 = undefined;
                var v_7 = undefined;
                var v_8 = undefined;
                var v_9 = undefined;
                v_1 = this.limit - this.cursor;

                if (this.cursor < this.I_p1) {
                    return false;
                }

                this.cursor = this.I_p1;
                v_2 = this.limit_backward;
                this.limit_backward = this.cursor;
                this.cursor = this.limit - v_1;
                v_3 = this.limit - this.cursor;

                lab0: do {
                    v_4 = this.limit - this.cursor;

                    if (!this.r_LONG$esjava$0()) {
                        break lab0;
                    }

                    this.cursor = this.limit - v_4;
                    this.ket = this.cursor;

                    if (this.cursor <= this.limit_backward) {
                        break lab0;
                    }

                    this.cursor--;
                    this.bra = this.cursor;
                    this.slice_del$esjava$0();
                } while (false);

                this.cursor = this.limit - v_3;
                v_5 = this.limit - this.cursor;

                lab1: do {
                    this.ket = this.cursor;

                    if (!this.in_grouping_b$esjava$3(finnishStemmer.g_AEI, 97, 228)) {
                        break lab1;
                    }

                    this.bra = this.cursor;

                    if (!this.out_grouping_b$esjava$3(finnishStemmer.g_V1, 97, 246)) {
                        break lab1;
                    }

                    this.slice_del$esjava$0();
                } while (false);

                this.cursor = this.limit - v_5;
                v_6 = this.limit - this.cursor;

                lab2: do {
                    this.ket = this.cursor;

                    if (!this.eq_s_b$esjava$1("j")) {
                        break lab2;
                    }

                    this.bra = this.cursor;

                    lab3: do {
                        v_7 = this.limit - this.cursor;

                        lab4: do {
                            if (!this.eq_s_b$esjava$1("o")) {
                                break lab4;
                            }

                            break lab3;
                        } while (false);

                        this.cursor = this.limit - v_7;

                        if (!this.eq_s_b$esjava$1("u")) {
                            break lab2;
                        }
                    } while (false);

                    this.slice_del$esjava$0();
                } while (false);

                this.cursor = this.limit - v_6;
                v_8 = this.limit - this.cursor;

                lab5: do {
                    this.ket = this.cursor;

                    if (!this.eq_s_b$esjava$1("o")) {
                        break lab5;
                    }

                    this.bra = this.cursor;

                    if (!this.eq_s_b$esjava$1("j")) {
                        break lab5;
                    }

                    this.slice_del$esjava$0();
                } while (false);

                this.cursor = this.limit - v_8;
                this.limit_backward = v_2;

                golab6: while (true) {
                    v_9 = this.limit - this.cursor;

                    lab7: do {
                        if (!this.out_grouping_b$esjava$3(finnishStemmer.g_V1, 97, 246)) {
                            break lab7;
                        }

                        this.cursor = this.limit - v_9;
                        break golab6;
                    } while (false);

                    this.cursor = this.limit - v_9;

                    if (this.cursor <= this.limit_backward) {
                        return false;
                    }

                    this.cursor--;
                }

                this.ket = this.cursor;

                if (this.cursor <= this.limit_backward) {
                    return false;
                }

                this.cursor--;
                this.bra = this.cursor;
                this.S_x = this.slice_to$esjava$1(this.S_x);

                if (!this.eq_s_b$esjava$1(this.S_x.toString())) {
                    return false;
                }

                this.slice_del$esjava$0();
                return true;
            }
        }, {
            key: 'stem$esjava$0',
            value: function stem$esjava$0() {
                var v_1 = undefined;
                var v_2 = undefined;
                var v_3 = undefined;
                var v_4 = undefined;
                var v_5 = undefined;
                var v_6 = undefined;
                var v_7 = undefined;
                var v_8 = undefined;
                var v_9 = undefined;
                v_1 = this.cursor;

                lab0: do {
                    if (!this.r_mark_regions$esjava$0()) {
                        break lab0;
                    }
                } while (false);

                this.cursor = v_1;
                this.B_ending_removed = false;
                this.limit_backward = this.cursor;
                this.cursor = this.limit;
                v_2 = this.limit - this.cursor;

                lab1: do {
                    if (!this.r_particle_etc$esjava$0()) {
                        break lab1;
                    }
                } while (false);

                this.cursor = this.limit - v_2;
                v_3 = this.limit - this.cursor;

                lab2: do {
                    if (!this.r_possessive$esjava$0()) {
                        break lab2;
                    }
                } while (false);

                this.cursor = this.limit - v_3;
                v_4 = this.limit - this.cursor;

                lab3: do {
                    if (!this.r_case_ending$esjava$0()) {
                        break lab3;
                    }
                } while (false);

                this.cursor = this.limit - v_4;
                v_5 = this.limit - this.cursor;

                lab4: do {
                    if (!this.r_other_endings$esjava$0()) {
                        break lab4;
                    }
                } while (false);

                this.cursor = this.limit - v_5;

                lab5: do {
                    v_6 = this.limit - this.cursor;

                    lab6: do {
                        if (!this.B_ending_removed) {
                            break lab6;
                        }

                        v_7 = this.limit - this.cursor;

                        lab7: do {
                            if (!this.r_i_plural$esjava$0()) {
                                break lab7;
                            }
                        } while (false);

                        this.cursor = this.limit - v_7;
                        break lab5;
                    } while (false);

                    this.cursor = this.limit - v_6;
                    v_8 = this.limit - this.cursor;

                    lab8: do {
                        if (!this.r_t_plural$esjava$0()) {
                            break lab8;
                        }
                    } while (false);

                    this.cursor = this.limit - v_8;
                } while (false);

                v_9 = this.limit - this.cursor;

                lab9: do {
                    if (!this.r_tidy$esjava$0()) {
                        break lab9;
                    }
                } while (false);

                this.cursor = this.limit - v_9;
                this.cursor = this.limit_backward;
                return true;
            }
        }, {
            key: 'stem',
            value: function stem() {
                var _get33;

                for (var _len32 = arguments.length, args = Array(_len32), _key32 = 0; _key32 < _len32; _key32++) {
                    args[_key32] = arguments[_key32];
                }

                switch (args.length) {
                    case 0:
                        return this.stem$esjava$0.apply(this, args);
                }

                return (_get33 = _get(Object.getPrototypeOf(finnishStemmer.prototype), 'stem', this)).call.apply(_get33, [this].concat(args));
            }
        }, {
            key: 'r_LONG',
            value: function r_LONG() {
                var _get34;

                for (var _len33 = arguments.length, args = Array(_len33), _key33 = 0; _key33 < _len33; _key33++) {
                    args[_key33] = arguments[_key33];
                }

                switch (args.length) {
                    case 0:
                        return this.r_LONG$esjava$0.apply(this, args);
                }

                return (_get34 = _get(Object.getPrototypeOf(finnishStemmer.prototype), 'r_LONG', this)).call.apply(_get34, [this].concat(args));
            }
        }, {
            key: 'r_VI',
            value: function r_VI() {
                var _get35;

                for (var _len34 = arguments.length, args = Array(_len34), _key34 = 0; _key34 < _len34; _key34++) {
                    args[_key34] = arguments[_key34];
                }

                switch (args.length) {
                    case 0:
                        return this.r_VI$esjava$0.apply(this, args);
                }

                return (_get35 = _get(Object.getPrototypeOf(finnishStemmer.prototype), 'r_VI', this)).call.apply(_get35, [this].concat(args));
            }
        }, {
            key: 'es6bridge',
            get: function get() {
                return Object.prototype.hasOwnProperty.call(this, '_$esjava$es6bridge') ? this._$esjava$es6bridge : this._$esjava$es6bridge = this;
            },
            set: function set(v) {
                this._$esjava$es6bridge = v;
            }
        }, {
            key: 'a_6',
            get: function get() {
                return Object.prototype.hasOwnProperty.call(this, '_$esjava$a_6') ? this._$esjava$a_6 : this._$esjava$a_6 = [new Among("a", -1, 8), new Among("lla", 0, -1), new Among("na", 0, -1), new Among("ssa", 0, -1), new Among("ta", 0, -1), new Among("lta", 4, -1), new Among("sta", 4, -1), new Among("tta", 4, 9), new Among("lle", -1, -1), new Among("ine", -1, -1), new Among("ksi", -1, -1), new Among("n", -1, 7), new Among("han", 11, 1), new Among("den", 11, -1, "r_VI", this.es6bridge), new Among("seen", 11, -1, "r_LONG", this.es6bridge), new Among("hen", 11, 2), new Among("tten", 11, -1, "r_VI", this.es6bridge), new Among("hin", 11, 3), new Among("siin", 11, -1, "r_VI", this.es6bridge), new Among("hon", 11, 4), new Among('h\u00E4n', 11, 5), new Among('h\u00F6n', 11, 6), new Among('\u00E4', -1, 8), new Among('ll\u00E4', 22, -1), new Among('n\u00E4', 22, -1), new Among('ss\u00E4', 22, -1), new Among('t\u00E4', 22, -1), new Among('lt\u00E4', 26, -1), new Among('st\u00E4', 26, -1), new Among('tt\u00E4', 26, 9)];
            },
            set: function set(v) {
                this._$esjava$a_6 = v;
            }
        }, {
            key: 'B_ending_removed',
            get: function get() {
                return Object.prototype.hasOwnProperty.call(this, '_$esjava$B_ending_removed') ? this._$esjava$B_ending_removed : this._$esjava$B_ending_removed = false;
            },
            set: function set(v) {
                this._$esjava$B_ending_removed = v;
            }
        }, {
            key: 'S_x',
            get: function get() {
                return Object.prototype.hasOwnProperty.call(this, '_$esjava$S_x') ? this._$esjava$S_x : this._$esjava$S_x = new StringBuilder();
            },
            set: function set(v) {
                this._$esjava$S_x = v;
            }
        }, {
            key: 'I_p2',
            get: function get() {
                return Object.prototype.hasOwnProperty.call(this, '_$esjava$I_p2') ? this._$esjava$I_p2 : this._$esjava$I_p2 = 0;
            },
            set: function set(v) {
                this._$esjava$I_p2 = v;
            }
        }, {
            key: 'I_p1',
            get: function get() {
                return Object.prototype.hasOwnProperty.call(this, '_$esjava$I_p1') ? this._$esjava$I_p1 : this._$esjava$I_p1 = 0;
            },
            set: function set(v) {
                this._$esjava$I_p1 = v;
            }
        }], [{
            key: 'a_0',
            get: function get() {
                delete finnishStemmer.a_0;
                return finnishStemmer.a_0 = [new Among("pa", -1, 1), new Among("sti", -1, 2), new Among("kaan", -1, 1), new Among("han", -1, 1), new Among("kin", -1, 1), new Among('h\u00E4n', -1, 1), new Among('k\u00E4\u00E4n', -1, 1), new Among("ko", -1, 1), new Among('p\u00E4', -1, 1), new Among('k\u00F6', -1, 1)];
            }
        }, {
            key: 'a_1',
            get: function get() {
                delete finnishStemmer.a_1;
                return finnishStemmer.a_1 = [new Among("lla", -1, -1), new Among("na", -1, -1), new Among("ssa", -1, -1), new Among("ta", -1, -1), new Among("lta", 3, -1), new Among("sta", 3, -1)];
            }
        }, {
            key: 'a_2',
            get: function get() {
                delete finnishStemmer.a_2;
                return finnishStemmer.a_2 = [new Among('ll\u00E4', -1, -1), new Among('n\u00E4', -1, -1), new Among('ss\u00E4', -1, -1), new Among('t\u00E4', -1, -1), new Among('lt\u00E4', 3, -1), new Among('st\u00E4', 3, -1)];
            }
        }, {
            key: 'a_3',
            get: function get() {
                delete finnishStemmer.a_3;
                return finnishStemmer.a_3 = [new Among("lle", -1, -1), new Among("ine", -1, -1)];
            }
        }, {
            key: 'a_4',
            get: function get() {
                delete finnishStemmer.a_4;
                return finnishStemmer.a_4 = [new Among("nsa", -1, 3), new Among("mme", -1, 3), new Among("nne", -1, 3), new Among("ni", -1, 2), new Among("si", -1, 1), new Among("an", -1, 4), new Among("en", -1, 6), new Among('\u00E4n', -1, 5), new Among('ns\u00E4', -1, 3)];
            }
        }, {
            key: 'a_5',
            get: function get() {
                delete finnishStemmer.a_5;
                return finnishStemmer.a_5 = [new Among("aa", -1, -1), new Among("ee", -1, -1), new Among("ii", -1, -1), new Among("oo", -1, -1), new Among("uu", -1, -1), new Among('\u00E4\u00E4', -1, -1), new Among('\u00F6\u00F6', -1, -1)];
            }
        }, {
            key: 'a_7',
            get: function get() {
                delete finnishStemmer.a_7;
                return finnishStemmer.a_7 = [new Among("eja", -1, -1), new Among("mma", -1, 1), new Among("imma", 1, -1), new Among("mpa", -1, 1), new Among("impa", 3, -1), new Among("mmi", -1, 1), new Among("immi", 5, -1), new Among("mpi", -1, 1), new Among("impi", 7, -1), new Among('ej\u00E4', -1, -1), new Among('mm\u00E4', -1, 1), new Among('imm\u00E4', 10, -1), new Among('mp\u00E4', -1, 1), new Among('imp\u00E4', 12, -1)];
            }
        }, {
            key: 'a_8',
            get: function get() {
                delete finnishStemmer.a_8;
                return finnishStemmer.a_8 = [new Among("i", -1, -1), new Among("j", -1, -1)];
            }
        }, {
            key: 'a_9',
            get: function get() {
                delete finnishStemmer.a_9;
                return finnishStemmer.a_9 = [new Among("mma", -1, 1), new Among("imma", 0, -1)];
            }
        }, {
            key: 'g_AEI',
            get: function get() {
                delete finnishStemmer.g_AEI;
                return finnishStemmer.g_AEI = [17, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8];
            }
        }, {
            key: 'g_V1',
            get: function get() {
                delete finnishStemmer.g_V1;
                return finnishStemmer.g_V1 = [17, 65, 16, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 32];
            }
        }, {
            key: 'g_V2',
            get: function get() {
                delete finnishStemmer.g_V2;
                return finnishStemmer.g_V2 = [17, 65, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 32];
            }
        }, {
            key: 'g_particle_end',
            get: function get() {
                delete finnishStemmer.g_particle_end;
                return finnishStemmer.g_particle_end = [17, 97, 24, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 32];
            }
        }]);

        return finnishStemmer;
    }(SnowballStemmer);

    shared.algorithms.finnish = finnishStemmer;
})(this.__snowball);
